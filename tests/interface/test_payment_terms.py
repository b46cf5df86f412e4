"""An auction paid for through the bot says so on its post: bidders see what they agree to."""

from __future__ import annotations

import pytest

from bot.auctions.read_models import BidReceipt, PublicAuction
from bot.domain.auction import Effect, Outcome, Standing, Status
from bot.domain.payments import MoneyMode
from bot.interface.rendering import auction_embed, bid_reply, outcome_text
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


def test_a_pledge_win_is_announced_as_won_not_sold_until_paid() -> None:
    standing = Standing(price=300, leader_id=7, leader_max=300, bid_count=1)
    won = auction(
        money=MoneyMode.PLEDGE, status=Status.CLOSED, outcome=Outcome.SOLD, standing=standing
    )
    assert outcome_text(PublicAuction.of(won)) == (
        "Won by <@7> for **300 credits**: sold once the payment is confirmed."
    )
    sold = auction(
        money=MoneyMode.WALLET, status=Status.CLOSED, outcome=Outcome.SOLD, standing=standing
    )
    assert outcome_text(PublicAuction.of(sold)) == "Sold to <@7> for **300 credits**."


@pytest.mark.parametrize(
    ("effect", "tail"),
    [
        (Effect.LEADING, "Your /wallet holds 900 credits for it while you lead."),
        (Effect.RAISED_MAXIMUM, "Your /wallet holds 900 credits for it while you lead."),
        (Effect.OUTBID_BY_PROXY, "Nothing is held from your /wallet for it."),
        (Effect.BOUGHT_NOW, "300 credits came from your /wallet."),
    ],
)
def test_a_wallet_bids_answer_says_what_it_holds(effect: Effect, tail: str) -> None:
    standing = Standing(price=300, leader_id=7, leader_max=900, bid_count=1)
    view = PublicAuction.of(auction(money=MoneyMode.WALLET, standing=standing), 7)
    receipt = BidReceipt(
        bid_id=1, amount=300, maximum=900, effect=effect, extended=False, outbid_user_id=None,
        auction=view,
    )  # fmt: skip
    assert bid_reply(receipt).endswith(tail)
    none_mode = PublicAuction.of(auction(standing=standing), 7)
    assert "wallet" not in bid_reply(
        BidReceipt(1, 300, 900, effect, extended=False, outbid_user_id=None, auction=none_mode)
    )
