"""Invariants of the bidding rules over arbitrary bid sequences (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.auction import Effect, PlacedBid, Standing, Terms, evaluate, replay
from bot.domain.errors import BidRefused
from bot.domain.money import IncrementRule


@dataclass(frozen=True)
class Attempt:
    bidder: int
    amount: int
    extra: int | None  # maximum = amount + extra


terms_strategy = st.builds(
    lambda start, absolute, percent, reserve, buy_now: Terms(
        starting_bid=start,
        increment=IncrementRule(absolute=absolute, percent=percent),
        reserve=None if reserve is None else start + reserve,
        buy_now=None if buy_now is None else start + (reserve or 0) + buy_now,
    ),
    start=st.integers(1, 1000),
    absolute=st.integers(1, 50),
    percent=st.integers(0, 20),
    reserve=st.none() | st.integers(1, 3000),
    buy_now=st.none() | st.integers(1, 5000),
)
attempts_strategy = st.lists(
    st.builds(
        Attempt,
        bidder=st.integers(1, 4),
        amount=st.integers(1, 6000),
        extra=st.none() | st.integers(0, 4000),
    ),
    max_size=40,
)


def run(terms: Terms, attempts: list[Attempt]) -> tuple[list[Standing], list[PlacedBid]]:
    """Apply attempts in order; return the standings after each accepted bid and the
    accepted bids."""
    standing = Standing()
    history: list[Standing] = []
    accepted: list[PlacedBid] = []
    for attempt in attempts:
        maximum = attempt.amount + (attempt.extra or 0)
        try:
            result = evaluate(terms, standing, attempt.bidder, attempt.amount, maximum)
        except BidRefused:
            continue
        standing = result.standing
        history.append(standing)
        accepted.append(PlacedBid(attempt.bidder, attempt.amount, maximum))
        if result.effect is Effect.BOUGHT_NOW:
            break
    return history, accepted


@settings(max_examples=400, deadline=None)
@given(terms_strategy, attempts_strategy)
def test_price_never_goes_down(terms: Terms, attempts: list[Attempt]) -> None:
    history, _ = run(terms, attempts)
    prices = [s.price for s in history]
    assert all(p is not None for p in prices)
    assert prices == sorted(prices)  # type: ignore[type-var]


@settings(max_examples=400, deadline=None)
@given(terms_strategy, attempts_strategy)
def test_price_never_exceeds_the_leaders_maximum(terms: Terms, attempts: list[Attempt]) -> None:
    history, _ = run(terms, attempts)
    for standing in history:
        assert standing.price is not None and standing.leader_max is not None
        assert standing.price <= standing.leader_max
        if terms.reserve is not None and standing.leader_max >= terms.reserve:
            assert standing.price >= terms.reserve


@settings(max_examples=400, deadline=None)
@given(terms_strategy, attempts_strategy)
def test_leader_holds_the_highest_maximum_earliest_on_ties(
    terms: Terms, attempts: list[Attempt]
) -> None:
    history, accepted = run(terms, attempts)
    if not history:
        return
    final = history[-1]
    bought_now = (
        terms.buy_now is not None
        and final.price == terms.buy_now
        and (accepted[-1].amount >= terms.buy_now)
    )
    if bought_now:
        assert final.leader_id == accepted[-1].bidder_id
        return
    best: dict[int, tuple[int, int]] = {}  # bidder -> (their highest maximum, index reached)
    for index, placed in enumerate(accepted):
        current = best.get(placed.bidder_id)
        if current is None or placed.maximum > current[0]:
            best[placed.bidder_id] = (placed.maximum, index)
    top = max(m for m, _ in best.values())
    holders = sorted((index, bidder) for bidder, (m, index) in best.items() if m == top)
    assert final.leader_max == top
    assert final.leader_id == holders[0][1]


@settings(max_examples=400, deadline=None)
@given(terms_strategy, attempts_strategy)
def test_replaying_the_accepted_bids_gives_the_same_state(
    terms: Terms, attempts: list[Attempt]
) -> None:
    history, accepted = run(terms, attempts)
    assert replay(terms, accepted) == (history[-1] if history else Standing())


@settings(max_examples=300, deadline=None)
@given(terms_strategy, attempts_strategy, st.integers(1, 4))
def test_replay_after_voiding_a_bidder_is_a_valid_state(
    terms: Terms, attempts: list[Attempt], voided: int
) -> None:
    _, accepted = run(terms, attempts)
    remaining = [b for b in accepted if b.bidder_id != voided]
    standing = replay(terms, remaining, buy_now_enabled=False)
    if standing.leader_id is None:
        assert standing.price is None
        return
    assert standing.leader_id != voided
    assert standing.price is not None and standing.leader_max is not None
    assert terms.starting_bid <= standing.price <= standing.leader_max
