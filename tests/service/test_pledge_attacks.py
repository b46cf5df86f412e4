"""Pledge mode under attack, on both stores: forged step ids from custom ids."""

from __future__ import annotations

import pytest

from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.domain.errors import AuctionNotFound
from tests.conftest import CAROL, GUILD, MOD
from tests.service.test_pledge import house, sold

__all__ = ["house"]  # the fixture

HOSTILE = [2**63 - 1, 2**63, 2**64, 10**20 - 1, 0, -1]


@pytest.mark.parametrize("step_id", HOSTILE)
async def test_a_forged_step_id_out_of_range_is_not_found(
    house: AuctionHouse, clock: ManualClock, step_id: int
) -> None:
    await sold(house, clock, "abc")
    with pytest.raises(AuctionNotFound):
        await house.settling.mark_paid(GUILD, MOD, step_id=step_id)
    with pytest.raises(AuctionNotFound):
        await house.settling.answer_offer(step_id, CAROL.user_id, accept=True)
