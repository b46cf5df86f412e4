"""An auction paid for through the bot says so on its post: bidders see what they agree to."""

from __future__ import annotations

import pytest

from bot.auctions.read_models import PublicAuction
from bot.domain.auction import Status
from bot.domain.payments import MoneyMode
from bot.interface.rendering import auction_embed
from tests.domain.test_auction_rules import auction


def payment_field(mode: MoneyMode, status: Status = Status.OPEN) -> str | None:
    embed = auction_embed(PublicAuction.of(auction(money=mode, status=status)))
    return next((f.value for f in embed.fields if f.name == "Payment"), None)


def test_a_wallet_auction_says_credits_are_held_while_leading() -> None:
    shown = payment_field(MoneyMode.WALLET)
    assert shown is not None and "holds what it may cost while you lead" in shown


def test_a_pledge_auction_says_the_winner_pays_by_a_deadline() -> None:
    shown = payment_field(MoneyMode.PLEDGE)
    assert shown is not None and "by a deadline" in shown


@pytest.mark.parametrize("mode", list(MoneyMode))
def test_no_payment_line_without_money_or_once_closed(mode: MoneyMode) -> None:
    assert payment_field(MoneyMode.NONE) is None
    assert payment_field(mode, Status.CLOSED) is None
