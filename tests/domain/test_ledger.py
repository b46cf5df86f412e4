from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import BidRefused
from bot.domain.ledger import (
    REVENUE,
    SOURCE,
    Account,
    AccountKind,
    Balance,
    Entry,
    Hold,
    Movement,
    NotEnoughCredits,
    Posting,
    apply,
    not_enough_credits,
    replay,
    totals_agree,
)
from bot.domain.money import Currency

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_each_movement_has_its_two_sides() -> None:
    wallet, hold = Account.wallet(7), Account.hold(7, 3)
    sides = {
        Movement.GRANT: (SOURCE, wallet),
        Movement.REVOKE: (wallet, SOURCE),
        Movement.HOLD: (wallet, hold),
        Movement.RELEASE: (hold, wallet),
        Movement.CAPTURE: (hold, REVENUE),
    }
    for movement, (debit, credit) in sides.items():
        posting = Posting(movement, 7, 5, "why", auction_id=3)
        assert (posting.debit, posting.credit) == (debit, credit)


@pytest.mark.parametrize("amount", [0, -1, True, 1.5])
def test_an_entry_moves_a_positive_whole_amount(amount: object) -> None:
    with pytest.raises(ValueError, match="positive whole amount"):
        Posting(Movement.GRANT, 7, amount, "why")  # type: ignore[arg-type]


def test_an_entry_needs_a_reason_and_an_auction_for_escrow() -> None:
    with pytest.raises(ValueError, match="reason"):
        Posting(Movement.GRANT, 7, 5, "  ")
    with pytest.raises(ValueError, match="names its auction"):
        Posting(Movement.HOLD, 7, 5, "bid")


def test_the_source_counts_what_it_issued_less_what_came_back() -> None:
    balances: dict[Account, int] = {}
    apply(balances, SOURCE, Account.wallet(1), 100)
    apply(balances, Account.wallet(1), SOURCE, 30)
    assert balances == {SOURCE: 70, Account.wallet(1): 70}
    assert totals_agree(balances)


def _entry(n: int, posting: Posting) -> Entry:
    return Entry(
        n, 1, posting.movement, posting.debit, posting.credit, posting.amount,
        posting.member_id, posting.auction_id, posting.actor_id, posting.reason, AT,
    )  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from(list(Movement)), st.integers(1, 3), st.integers(1, 50))))
def test_replaying_any_entries_keeps_the_totals_equal(
    moves: list[tuple[Movement, int, int]],
) -> None:
    # Only entries that keep every balance >= 0 are written (the store refuses others).
    balances: dict[Account, int] = {}
    entries = []
    for movement, member, amount in moves:
        posting = Posting(movement, member, amount, "x", auction_id=9)
        trial = dict(balances)
        apply(trial, posting.debit, posting.credit, amount)
        if min(trial.values()) < 0:
            continue
        balances = trial
        entries.append(_entry(len(entries), posting))
    assert replay(entries) == balances
    assert totals_agree(balances)


def test_a_balance_counts_what_it_holds_on_the_auction_as_spendable_there() -> None:
    balance = Balance(available=1_000, holds=(Hold(1, 2_000, "a"), Hold(2, 1_000, "b")))
    assert balance.held == 3_000
    assert balance.total == 4_000
    assert balance.spendable_on(1) == 3_000
    assert balance.spendable_on(5) == 1_000


def test_the_refusal_reads_like_the_issue_says() -> None:
    balance = Balance(available=1_250, holds=(Hold(1, 2_000), Hold(2, 1_000)))
    assert not_enough_credits(Currency(), balance, 5, 2_000) == (
        "You have 1,250 credits available (3,000 held in 2 auctions); this bid needs 2,000."
    )
    # What the bidder holds on this very auction counts as available to it.
    assert not_enough_credits(Currency("gems"), balance, 1, 5_000) == (
        "You have 3,250 gems available (1,000 held in 1 auction); this bid needs 5,000."
    )
    assert not_enough_credits(Currency(), Balance(0), 5, 10) == (
        "You have 0 credits available; this bid needs 10."
    )
    assert issubclass(NotEnoughCredits, BidRefused)


def test_account_kinds_are_the_four_the_schema_knows() -> None:
    assert {k.value for k in AccountKind} == {"wallet", "hold", "revenue", "source"}
