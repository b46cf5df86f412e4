"""The ledger repository on both stores: entries with both sides, cached balances that the
replay check recomputes, balances that never go negative, entries that are never changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.ledger import REVENUE, SOURCE, Account, Balance, Mismatch, Movement, Posting, replay
from bot.storage.sql.ledger import LedgerOverdrawn
from bot.unit_of_work import Store, UnitOfWork
from tests.conftest import GUILD, INTEGRITY_ERRORS, OTHER_GUILD

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
ALICE, BOB, MOD = 10, 20, 1


def grant(member: int, amount: int, guild: int = GUILD) -> Any:
    return lambda uow: uow.ledger.post(
        guild, Posting(Movement.GRANT, member, amount, "welcome", actor_id=MOD), AT
    )


async def test_a_grant_is_one_entry_with_both_sides(db: Store) -> None:
    await db.write(grant(ALICE, 500))
    entries = await db.read(lambda uow: uow.ledger.all_entries(GUILD))
    assert len(entries) == 1
    (entry,) = entries
    assert (entry.movement, entry.debit, entry.credit) == (
        Movement.GRANT, SOURCE, Account.wallet(ALICE),
    )  # fmt: skip
    assert (entry.amount, entry.member_id, entry.actor_id, entry.reason, entry.at) == (
        500, ALICE, MOD, "welcome", AT,
    )  # fmt: skip
    assert await db.read(lambda uow: uow.ledger.balance(GUILD, ALICE)) == Balance(500)
    balances = await db.read(lambda uow: uow.ledger.balances(GUILD))
    assert balances == {SOURCE: 500, Account.wallet(ALICE): 500}
    # Another server's ledger is its own.
    assert await db.read(lambda uow: uow.ledger.balance(OTHER_GUILD, ALICE)) == Balance(0)


async def test_holds_release_and_capture_move_between_the_accounts(db: Store) -> None:
    await db.write(grant(ALICE, 1_000))

    def escrow(uow: UnitOfWork) -> None:
        uow.ledger.post(GUILD, Posting(Movement.HOLD, ALICE, 600, "bid", auction_id=7), AT)
        uow.ledger.post(GUILD, Posting(Movement.HOLD, ALICE, 100, "bid", auction_id=8), AT)
        uow.ledger.post(GUILD, Posting(Movement.CAPTURE, ALICE, 450, "won", auction_id=7), AT)
        uow.ledger.post(GUILD, Posting(Movement.RELEASE, ALICE, 150, "rest", auction_id=7), AT)

    await db.write(escrow)
    balance = await db.read(lambda uow: uow.ledger.balance(GUILD, ALICE))
    assert (balance.available, balance.held, [h.auction_id for h in balance.holds]) == (
        450, 100, [8],
    )  # fmt: skip
    assert await db.read(lambda uow: uow.ledger.holds_on(GUILD, 8)) == {ALICE: 100}
    assert await db.read(lambda uow: uow.ledger.holds_on(GUILD, 7)) == {}
    balances = await db.read(lambda uow: uow.ledger.balances(GUILD))
    assert balances[REVENUE] == 450
    # The revenue, which every close adds to, is summed from its entries: no cached row.
    cached = await db.on_connection(  # type: ignore[attr-defined]
        lambda c: c.execute("SELECT balance FROM ledger_accounts WHERE kind = 'revenue'").fetchone()
    )
    assert tuple(cached) == (0,)
    assert balances[SOURCE] == sum(v for a, v in balances.items() if a != SOURCE)
    entries = await db.read(lambda uow: uow.ledger.all_entries(GUILD))
    assert {a: v for a, v in replay(entries).items() if v} == {
        a: v for a, v in balances.items() if v
    }
    assert await db.read(lambda uow: uow.ledger.replay_check(GUILD)) == []
    # The member's history, newest first, paged.
    mine = await db.read(lambda uow: uow.ledger.entries(GUILD, ALICE, offset=1, limit=2))
    assert [e.movement for e in mine] == [Movement.CAPTURE, Movement.HOLD]
    assert await db.read(lambda uow: uow.ledger.count_entries(GUILD, ALICE)) == 5


async def test_no_account_goes_negative_and_a_refused_entry_changes_nothing(db: Store) -> None:
    await db.write(grant(ALICE, 100))
    for posting in (
        Posting(Movement.REVOKE, ALICE, 101, "too much"),
        Posting(Movement.HOLD, ALICE, 101, "too much", auction_id=3),
        Posting(Movement.RELEASE, BOB, 1, "nothing held", auction_id=3),
        Posting(Movement.CAPTURE, ALICE, 1, "nothing held", auction_id=3),
    ):
        with pytest.raises(LedgerOverdrawn):
            await db.write(lambda uow, p=posting: uow.ledger.post(GUILD, p, AT))
    assert await db.read(lambda uow: uow.ledger.count_entries(GUILD, ALICE)) == 1
    assert await db.read(lambda uow: uow.ledger.balance(GUILD, ALICE)) == Balance(100)


async def test_the_schema_refuses_a_negative_balance_or_an_empty_entry(db: Store) -> None:
    await db.write(grant(ALICE, 100))
    with pytest.raises(INTEGRITY_ERRORS, match=r"(?i)check"):
        await db.on_connection(lambda c: c.execute("UPDATE ledger_accounts SET balance = -1"))
    with pytest.raises(INTEGRITY_ERRORS, match=r"(?i)check"):
        await db.on_connection(
            lambda c: c.execute(
                "INSERT INTO ledger_entries (guild_id, movement, debit_account, credit_account,"
                " amount, member_id, reason, at) VALUES (1, 'grant', 1, 2, 0, 1, 'x', 0)"
            )
        )


async def test_entries_are_append_only(db: Store) -> None:
    await db.write(grant(ALICE, 100))
    for sql in (
        "UPDATE ledger_entries SET amount = 1000",
        "UPDATE ledger_entries SET reason = 'rewritten'",
        "DELETE FROM ledger_entries",
    ):
        with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
            await db.on_connection(lambda c, s=sql: c.execute(s))
    with pytest.raises(INTEGRITY_ERRORS, match="never"):
        await db.on_connection(lambda c: c.execute("DELETE FROM ledger_accounts"))
    with pytest.raises(INTEGRITY_ERRORS, match="never"):
        await db.on_connection(lambda c: c.execute("UPDATE ledger_accounts SET member_id = 99"))
    entries = await db.read(lambda uow: uow.ledger.all_entries(GUILD))
    assert [(e.amount, e.reason) for e in entries] == [(100, "welcome")]


async def test_the_replay_check_finds_a_cached_balance_that_drifted(db: Store) -> None:
    await db.write(grant(ALICE, 100))
    await db.write(grant(BOB, 40))
    assert await db.read(lambda uow: uow.ledger.replay_check(GUILD)) == []
    # Only the cached balance may change in place: a drift shows in the check.
    await db.on_connection(
        lambda c: c.execute(
            "UPDATE ledger_accounts SET balance = 90 WHERE kind = 'wallet' AND member_id = 10"
        )
    )
    assert await db.read(lambda uow: uow.ledger.replay_check(GUILD)) == [
        Mismatch(Account.wallet(ALICE), cached=90, from_entries=100)
    ]


async def test_locking_members_makes_their_wallets_once(db: Store) -> None:
    await db.write(lambda uow: uow.ledger.lock_members(GUILD, [BOB, ALICE, BOB]))
    await db.write(lambda uow: uow.ledger.lock_members(GUILD, [ALICE]))
    balances = await db.read(lambda uow: uow.ledger.balances(GUILD))
    assert balances == {Account.wallet(ALICE): 0, Account.wallet(BOB): 0}
