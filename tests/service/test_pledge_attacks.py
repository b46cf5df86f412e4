"""Pledge mode under attack, on both stores: forged step ids from custom ids, and a payment
confirmed after its deadline but before a reminder decided it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.auctions.house import AuctionHouse
from bot.auctions.settlement import SettlementError
from bot.clock import ManualClock
from bot.domain.errors import AuctionNotFound, BidRefused
from bot.domain.messages import MessageKind
from bot.domain.settlement import SettlementStatus, StepState
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, CAROL, GUILD, MOD, OTHER_GUILD, make_core
from tests.fakes import RecordingTimer
from tests.service.test_pledge import (
    PAY,
    PLEDGE,
    drain,
    events,
    house,
    of,
    sold,
    status,
    steps,
)
from tests.service.test_stock import csv_bytes

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


async def test_a_payment_confirmed_after_its_deadline_is_refused_and_the_sale_defaults(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    [step] = await steps(db, auction_id)
    await drain(db, clock)
    clock.advance(PAY)  # the deadline, before any reminder decided it
    with pytest.raises(SettlementError, match="deadline"):
        await house.settling.mark_paid(GUILD, MOD, handle="abc")
    with pytest.raises(SettlementError, match="deadline"):
        await house.settling.mark_paid(GUILD, MOD, step_id=step.id)
    assert await status(db, auction_id) is SettlementStatus.DUE
    assert await house.settling.sweep() == 1
    winner, offer = await steps(db, auction_id)
    assert winner.state is StepState.DEFAULTED and winner.member_id == ALICE.user_id
    assert offer.member_id == CAROL.user_id
    assert events(await drain(db, clock)) == ["defaulted", "offered"]


async def test_a_handle_whose_payment_is_due_cannot_be_imported_into_the_inventory(
    house: AuctionHouse, clock: ManualClock
) -> None:
    await sold(house, clock, "abc")  # not from the inventory
    report = await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "100", "", "", "", ""]]))
    assert (report.added, report.refused) == (0, 1)
    [line] = report.lines
    assert "still being settled" in line.reason
    await house.settling.mark_paid(GUILD, MOD, handle="abc")
    with pytest.raises(AuctionNotFound):  # sold, and not in the inventory as available
        await house.stock.show(GUILD, MOD, "abc")


async def test_a_step_of_another_server_cannot_be_marked_paid_there(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    [step] = await steps(db, auction_id)
    # A moderator of another server forges a Mark paid button naming this server's step.
    with pytest.raises(AuctionNotFound):
        await house.settling.mark_paid(OTHER_GUILD, MOD, step_id=step.id)
    with pytest.raises(SettlementError, match="No payment is due"):
        await house.settling.mark_paid(OTHER_GUILD, MOD, handle="abc")
    assert await status(db, auction_id) is SettlementStatus.DUE
    [still] = await steps(db, auction_id)
    assert still.state is StepState.AWAITING_PAYMENT


async def test_without_second_chances_an_unpaid_sale_is_unsold_at_once(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    rules = replace(PLEDGE.payments, second_chances=0, defaults_to_bar=1)
    house = make_core(db, clock, reminders, replace(PLEDGE, payments=rules)).house
    auction_id = await sold(house, clock, "abc")
    await drain(db, clock)
    clock.advance(PAY)
    assert await house.settling.sweep() == 1
    [winner] = await steps(db, auction_id)
    assert winner.state is StepState.DEFAULTED
    assert await status(db, auction_id) is SettlementStatus.UNSOLD
    messages = await drain(db, clock)
    assert events(messages) == ["defaulted", "unsold"]
    assert of(messages, MessageKind.SETTLEMENT_DM) == []
    # Unsold, it may be listed again; one default bars at defaults_to_bar 1.
    await house.start_auction(GUILD, MOD, "abc", starting_bid=10, duration="1h")
    with pytest.raises(BidRefused, match="barred"):
        await house.bid_on_handle(GUILD, ALICE, "abc", 10)
