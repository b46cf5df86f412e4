from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.auction import (
    Auction,
    Effect,
    Outcome,
    PlacedBid,
    Standing,
    Status,
    Terms,
    close_outcome,
    decide_bid,
    evaluate,
    replay,
)
from bot.domain.errors import AuctionNotOpen, BidRefused, BidTooLow, InvalidAmount, InvalidInput
from bot.domain.handles import Handle
from bot.domain.money import Currency, IncrementRule

A, B, C = 10, 20, 30
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
CURRENCY = Currency(max_amount=10**12)
TERMS = Terms(starting_bid=100, increment=IncrementRule(absolute=10, percent=5))


def auction(terms: Terms = TERMS, standing: Standing | None = None, **changes: object) -> Auction:
    base = Auction(
        id=1,
        guild_id=1,
        handle=Handle("OG", "og"),
        platform="x",
        terms=terms,
        standing=standing or Standing(),
        status=Status.OPEN,
        opened_by=1,
        opened_at=START,
        ends_at=END,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def bid(
    state: Standing, bidder: int, amount: int, maximum: int | None = None, terms: Terms = TERMS
) -> Standing:
    return evaluate(terms, state, bidder, amount, maximum or amount).standing


# -- opening and increments -----------------------------------------------------------------


def test_first_bid_must_reach_the_starting_bid() -> None:
    with pytest.raises(BidTooLow, match="starting bid of 100") as caught:
        evaluate(TERMS, Standing(), A, 99, 99)
    assert caught.value.minimum == 100
    result = evaluate(TERMS, Standing(), A, 100, 100)
    assert result.standing == Standing(price=100, leader_id=A, leader_max=100, bid_count=1)
    assert result.effect is Effect.LEADING


def test_challenger_must_reach_the_minimum_next_bid() -> None:
    state = bid(Standing(), A, 200)
    with pytest.raises(BidTooLow, match="minimum bid is 210") as caught:
        evaluate(TERMS, state, B, 209, 209)
    assert caught.value.minimum == 210  # max(200 + 10, ceil(200 * 1.05))
    assert bid(state, B, 210).leader_id == B


def test_minimum_next_bid_on_the_auction() -> None:
    assert auction().minimum_bid == 100
    assert (
        auction(
            standing=Standing(price=1000, leader_id=A, leader_max=1000, bid_count=1)
        ).minimum_bid
        == 1050
    )


# -- proxy bidding ----------------------------------------------------------------------------


def test_challenger_below_leaders_maximum_is_answered_by_the_proxy() -> None:
    state = bid(Standing(), A, 100, maximum=500)
    result = evaluate(TERMS, state, B, 200, 200)
    assert result.effect is Effect.OUTBID_BY_PROXY
    # min(leader max 500, minimum next bid above 200 = 210)
    assert result.standing == Standing(price=210, leader_id=A, leader_max=500, bid_count=2)


def test_proxy_price_is_capped_at_the_leaders_maximum() -> None:
    state = bid(Standing(), A, 100, maximum=500)
    result = evaluate(TERMS, state, B, 495, 495)
    assert result.standing.price == 500  # next after 495 would be 520, capped at 500
    assert result.standing.leader_id == A


def test_equal_maximums_go_to_the_earlier_bid() -> None:
    state = bid(Standing(), A, 100, maximum=500)
    result = evaluate(TERMS, state, B, 300, 500)
    assert result.standing.leader_id == A
    assert result.standing.price == 500


def test_challenger_above_leaders_maximum_takes_the_lead_at_just_enough() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    result = evaluate(TERMS, state, B, 150, 1000)
    assert result.effect is Effect.LEADING
    # max(their bid 150, min(their max 1000, next above 300 = 315))
    assert result.standing == Standing(price=315, leader_id=B, leader_max=1000, bid_count=2)


def test_challenger_bid_above_the_proxy_price_pays_their_bid() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    result = evaluate(TERMS, state, B, 800, 1000)
    assert result.standing.price == 800


def test_challenger_with_max_just_above_leader_pays_only_their_max() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    result = evaluate(TERMS, state, B, 110, 305)
    assert result.standing.price == 305  # min(305, 315)
    assert result.standing.leader_id == B


def test_leader_bidding_again_only_raises_their_maximum() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    result = evaluate(TERMS, state, A, 400, 400)
    assert result.effect is Effect.RAISED_MAXIMUM
    assert result.standing == Standing(price=100, leader_id=A, leader_max=400, bid_count=2)


def test_leader_cannot_lower_or_repeat_their_maximum() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    with pytest.raises(BidRefused, match="maximum of 300") as caught:
        evaluate(TERMS, state, A, 250, 300)
    assert caught.value.minimum == 301


# -- reserve ------------------------------------------------------------------------------------

RESERVED = replace(TERMS, reserve=1000)


def test_price_jumps_to_the_reserve_when_a_maximum_reaches_it() -> None:
    state = bid(Standing(), A, 100, maximum=1500, terms=RESERVED)
    assert state.price == 1000
    assert auction(RESERVED, state).reserve_met


def test_price_stays_below_a_reserve_no_maximum_reaches() -> None:
    state = bid(Standing(), A, 100, maximum=900, terms=RESERVED)
    assert state.price == 100
    assert not auction(RESERVED, state).reserve_met


def test_leader_raising_max_to_the_reserve_moves_the_price() -> None:
    state = bid(Standing(), A, 100, maximum=900, terms=RESERVED)
    state = bid(state, A, 1000, terms=RESERVED)
    assert state.price == 1000


def test_close_outcome() -> None:
    assert close_outcome(auction()) is Outcome.NO_BIDS
    below = bid(Standing(), A, 100, maximum=900, terms=RESERVED)
    assert close_outcome(auction(RESERVED, below)) is Outcome.RESERVE_NOT_MET
    met = bid(below, B, 1000, terms=RESERVED)
    assert close_outcome(auction(RESERVED, met)) is Outcome.SOLD


# -- buy now --------------------------------------------------------------------------------------

BUY_NOW = replace(TERMS, buy_now=5000)


def test_bid_at_buy_now_ends_the_auction_at_that_price() -> None:
    state = bid(Standing(), A, 100, maximum=8000, terms=BUY_NOW)
    result = evaluate(BUY_NOW, state, B, 6000, 6000)
    assert result.effect is Effect.BOUGHT_NOW
    assert result.standing.price == 5000
    assert result.standing.leader_id == B


def test_opening_bid_can_buy_now() -> None:
    result = evaluate(BUY_NOW, Standing(), A, 5000, 5000)
    assert result.effect is Effect.BOUGHT_NOW


def test_buy_now_is_gone_once_the_price_reaches_it() -> None:
    state = bid(Standing(), A, 4000, maximum=9000, terms=BUY_NOW)
    answered = evaluate(BUY_NOW, state, B, 4500, 5300)  # A's proxy answers above buy-now
    assert answered.effect is Effect.OUTBID_BY_PROXY
    state = answered.standing
    assert state.price == 5565
    result = evaluate(BUY_NOW, state, C, 9500, 9500)
    assert result.effect is Effect.LEADING
    assert not auction(BUY_NOW, result.standing).buy_now_available


def test_terms_are_checked_against_each_other() -> None:
    with pytest.raises(InvalidInput, match="reserve"):
        Terms(starting_bid=100, increment=IncrementRule(), reserve=50).check(CURRENCY)
    with pytest.raises(InvalidInput, match="buy-now"):
        Terms(starting_bid=100, increment=IncrementRule(), reserve=500, buy_now=400).check(CURRENCY)
    with pytest.raises(InvalidAmount):
        Terms(starting_bid=0, increment=IncrementRule()).check(CURRENCY)
    Terms(starting_bid=100, increment=IncrementRule(), reserve=500, buy_now=600).check(CURRENCY)


# -- time, anti-sniping ---------------------------------------------------------------------------

SNIPE = replace(
    TERMS,
    anti_snipe_window=timedelta(minutes=5),
    anti_snipe_extension=timedelta(minutes=3),
    max_extensions=2,
)


def test_bid_outside_the_window_does_not_extend() -> None:
    decision = decide_bid(
        auction(SNIPE),
        currency=CURRENCY,
        bidder_id=A,
        amount=100,
        maximum=None,
        now=END - timedelta(minutes=6),
    )
    assert not decision.extended
    assert decision.ends_at == END


def test_bid_inside_the_window_moves_the_end() -> None:
    now = END - timedelta(minutes=1)
    decision = decide_bid(
        auction(SNIPE), currency=CURRENCY, bidder_id=A, amount=100, maximum=None, now=now
    )
    assert decision.extended
    assert decision.ends_at == now + timedelta(minutes=3)
    assert decision.extensions == 1


def test_extension_never_shortens_the_end() -> None:
    long_ext = replace(SNIPE, anti_snipe_extension=timedelta(seconds=30))
    now = END - timedelta(minutes=1)
    decision = decide_bid(
        auction(long_ext), currency=CURRENCY, bidder_id=A, amount=100, maximum=None, now=now
    )
    assert decision.ends_at == END
    assert not decision.extended
    assert decision.extensions == 0


def test_extensions_stop_at_the_limit() -> None:
    now = END - timedelta(minutes=1)
    capped = auction(SNIPE, extensions=2)
    decision = decide_bid(capped, currency=CURRENCY, bidder_id=A, amount=100, maximum=None, now=now)
    assert decision.ends_at == END
    unlimited = auction(replace(SNIPE, max_extensions=0), extensions=50)
    assert decide_bid(
        unlimited, currency=CURRENCY, bidder_id=A, amount=100, maximum=None, now=now
    ).extended


def test_raising_own_maximum_does_not_extend() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    decision = decide_bid(
        auction(SNIPE, state),
        currency=CURRENCY,
        bidder_id=A,
        amount=400,
        maximum=None,
        now=END - timedelta(seconds=10),
    )
    assert decision.effect is Effect.RAISED_MAXIMUM
    assert not decision.extended


def test_refused_bid_never_extends() -> None:
    with pytest.raises(BidTooLow):
        decide_bid(
            auction(SNIPE),
            currency=CURRENCY,
            bidder_id=A,
            amount=50,
            maximum=None,
            now=END - timedelta(seconds=10),
        )


def test_bids_at_or_after_the_end_are_refused() -> None:
    for now in (END, END + timedelta(seconds=1)):
        with pytest.raises(AuctionNotOpen, match="ended"):
            decide_bid(auction(), currency=CURRENCY, bidder_id=A, amount=100, maximum=None, now=now)
    with pytest.raises(AuctionNotOpen):
        decide_bid(
            auction(status=Status.CANCELLED),
            currency=CURRENCY,
            bidder_id=A,
            amount=100,
            maximum=None,
            now=START,
        )


def test_bid_amounts_are_validated_before_the_rules() -> None:
    small = Currency(max_amount=1000)
    for amount, maximum, message in [
        (0, None, "between 1 and 1,000"),
        (-5, None, "between 1 and 1,000"),
        (1001, None, "between 1 and 1,000"),
        (100, 2000, "maximum must be between 1 and 1,000"),
        (200, 150, "must be at least your bid"),
    ]:
        with pytest.raises(InvalidAmount, match=message):
            decide_bid(
                auction(), currency=small, bidder_id=A, amount=amount, maximum=maximum, now=START
            )


def test_outbid_user_is_the_previous_leader_only_when_the_lead_changes() -> None:
    state = bid(Standing(), A, 100, maximum=300)
    taken = decide_bid(
        auction(standing=state), currency=CURRENCY, bidder_id=B, amount=400, maximum=None, now=START
    )
    assert taken.outbid_user_id == A
    held = decide_bid(
        auction(standing=state), currency=CURRENCY, bidder_id=B, amount=200, maximum=None, now=START
    )
    assert held.outbid_user_id is None


# -- replay -----------------------------------------------------------------------------------------


def test_replay_reproduces_the_live_state() -> None:
    bids = [
        PlacedBid(A, 100, 300),
        PlacedBid(B, 200, 200),
        PlacedBid(B, 320, 600),
        PlacedBid(A, 700, 700),
    ]
    state = Standing()
    for placed in bids:
        state = bid(state, placed.bidder_id, placed.amount, placed.maximum)
    assert replay(TERMS, bids) == state


def test_replay_skips_bids_that_are_no_longer_valid() -> None:
    # A leads at 200 (max 1000); B's bid of 300 is answered by A's proxy (price 315);
    # A then raises her maximum with a bid of 310. If B's bid is voided, A's raise of 310
    # becomes a leader's raise below her own maximum: refused, so replay skips it.
    bids = [PlacedBid(A, 200, 1000), PlacedBid(B, 300, 300), PlacedBid(A, 310, 1200)]
    live = replay(TERMS, bids)
    assert (live.leader_id, live.price, live.leader_max, live.bid_count) == (A, 315, 1200, 3)
    without_b = replay(TERMS, [bids[0], bids[2]])
    assert (without_b.leader_id, without_b.price, without_b.leader_max) == (A, 200, 1200)
    skipped = replay(TERMS, [PlacedBid(A, 200, 1000), PlacedBid(A, 250, 900)])
    assert skipped == Standing(price=200, leader_id=A, leader_max=1000, bid_count=1)
