"""Who a second-chance offer goes to, and at what price: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.records import StoredBid
from bot.domain.settlement import Candidate, highest_bids, next_candidate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def bid(
    bid_id: int, bidder: int, amount: int, maximum: int | None = None, *, voided: bool = False
) -> StoredBid:
    return StoredBid(
        id=bid_id, auction_id=1, bidder_id=bidder, amount=amount,
        maximum=amount if maximum is None else maximum, placed_at=T0 + timedelta(seconds=bid_id),
        price_after=amount, leader_after=bidder, voided_at=T0 if voided else None,
        voided_by=1 if voided else None, void_reason="x" if voided else None,
    )  # fmt: skip


def test_the_next_bidder_is_the_highest_other_at_their_own_highest_live_bid() -> None:
    bids = [
        bid(1, 10, 100),
        bid(2, 20, 150, maximum=400),  # proxy bidding went up to 400 for them
        bid(3, 30, 300),
        bid(4, 40, 900, voided=True),
        bid(5, 10, 500),  # the winner
    ]
    assert next_candidate(bids, reserve=None, excluded=frozenset({10})) == Candidate(20, 400)
    assert next_candidate(bids, reserve=None, excluded=frozenset({10, 20})) == Candidate(30, 300)
    assert next_candidate(bids, reserve=350, excluded=frozenset({10, 20})) is None


def test_a_tie_goes_to_who_reached_it_first() -> None:
    bids = [bid(1, 20, 200), bid(2, 30, 200), bid(3, 10, 300)]
    assert next_candidate(bids, reserve=200, excluded=frozenset({10})) == Candidate(20, 200)


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 1000), st.booleans()), min_size=0, max_size=30
    ),
    st.frozensets(st.integers(1, 5)),
    st.one_of(st.none(), st.integers(1, 1000)),
)
def test_the_candidate_is_never_excluded_voided_or_below_the_reserve(
    entries: list[tuple[int, int, bool]], excluded: frozenset[int], reserve: int | None
) -> None:
    bids = [
        bid(i, who, amount, voided=voided) for i, (who, amount, voided) in enumerate(entries, 1)
    ]
    found = next_candidate(bids, reserve=reserve, excluded=excluded)
    live = highest_bids(bids)
    eligible = {
        m: h
        for m, (h, _) in live.items()
        if m not in excluded and (reserve is None or h >= reserve)
    }
    if found is None:
        assert not eligible
        return
    assert found.member_id in eligible and found.price == eligible[found.member_id]
    assert found.price == max(eligible.values())
    assert any(
        b.bidder_id == found.member_id and b.amount == found.price and not b.voided for b in bids
    )
