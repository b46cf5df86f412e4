"""Wallet mode's ledger (``LedgerRepository``): accounts with cached balances, and entries,
append-only (the schema's triggers refuse to change or delete one)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.domain.ledger import (
    REVENUE,
    SOURCE,
    Account,
    AccountKind,
    Balance,
    Entry,
    Hold,
    Mismatch,
    Movement,
    Posting,
)
from bot.storage.sql.codec import from_us, to_us
from bot.storage.sql.connection import Connection, Dialect

_ENTRY = """
    e.id, e.guild_id, e.movement, d.kind, d.member_id, d.auction_id, c.kind, c.member_id,
    c.auction_id, e.amount, e.member_id, e.auction_id, e.actor_id, e.reason, e.at,
    a.handle_display
    FROM ledger_entries AS e
    JOIN ledger_accounts AS d ON d.id = e.debit_account
    JOIN ledger_accounts AS c ON c.id = e.credit_account
    LEFT JOIN auctions AS a ON a.id = e.auction_id
"""


def _entry(row: Any) -> Entry:
    (
        id_, guild_id, movement, d_kind, d_member, d_auction, c_kind, c_member, c_auction,
        amount, member_id, auction_id, actor_id, reason, at, handle,
    ) = row  # fmt: skip
    return Entry(
        id=id_,
        guild_id=guild_id,
        movement=Movement(movement),
        debit=Account(AccountKind(d_kind), d_member, d_auction),
        credit=Account(AccountKind(c_kind), c_member, c_auction),
        amount=amount,
        member_id=member_id,
        auction_id=auction_id,
        actor_id=actor_id,
        reason=reason,
        at=from_us(at),
        handle=handle,
    )


class LedgerOverdrawn(RuntimeError):
    """An entry would take an account below zero: the use case should have refused first."""


class SqlLedger:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect
        self._lock = dialect.lock_for_update

    def _account(self, guild_id: int, account: Account) -> int:
        """The account's id, made on first use."""
        key = (guild_id, account.kind.value, account.member_id, account.auction_id)
        found = self._conn.execute(
            "SELECT id FROM ledger_accounts"
            " WHERE guild_id = ? AND kind = ? AND member_id = ? AND auction_id = ?",
            key,
        ).fetchone()
        if found is not None:
            return int(found[0])
        cursor = self._conn.execute(
            "INSERT INTO ledger_accounts (guild_id, kind, member_id, auction_id)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING" + self._dialect.returning_id,
            key,
        )
        made = self._dialect.inserted_id(cursor)
        if made is not None:
            return made
        # Another transaction made it first (and has committed: the insert waited for it).
        row = self._conn.execute(
            "SELECT id FROM ledger_accounts"
            " WHERE guild_id = ? AND kind = ? AND member_id = ? AND auction_id = ?",
            key,
        ).fetchone()
        return int(row[0])

    def lock_members(self, guild_id: int, member_ids: Iterable[int]) -> None:
        ids = sorted(set(member_ids))
        for member_id in ids:  # in id order: two transactions never wait on each other
            self._account(guild_id, Account.wallet(member_id))
        if not self._lock or not ids:
            return
        marks = ", ".join("?" * len(ids))
        self._conn.execute(
            "SELECT id FROM ledger_accounts WHERE guild_id = ? AND kind = 'wallet'"
            f" AND member_id IN ({marks}) ORDER BY member_id{self._lock}",
            (guild_id, *ids),
        ).fetchall()

    def post(self, guild_id: int, posting: Posting, at: datetime) -> int:
        debit, credit = posting.debit, posting.credit
        debit_id = self._account(guild_id, debit)
        credit_id = self._account(guild_id, credit)
        amount = posting.amount
        out_of = amount if debit.counts_outflows else -amount
        into = -amount if credit.counts_outflows else amount
        for account, account_id, change in ((debit, debit_id, out_of), (credit, credit_id, into)):
            if account.kind is AccountKind.REVENUE:
                continue  # not cached: see balances()
            moved = self._conn.execute(
                "UPDATE ledger_accounts SET balance = balance + ? WHERE id = ? AND balance + ? >= 0",
                (change, account_id, change),
            )
            if moved.rowcount != 1:
                raise LedgerOverdrawn(f"{posting.movement} of {amount} would overdraw an account")
        cursor = self._conn.execute(
            "INSERT INTO ledger_entries (guild_id, movement, debit_account, credit_account,"
            " amount, member_id, auction_id, actor_id, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" + self._dialect.returning_id,
            (
                guild_id, posting.movement.value, debit_id, credit_id, amount, posting.member_id,
                posting.auction_id, posting.actor_id, posting.reason, to_us(at),
            ),
        )  # fmt: skip
        entry_id = self._dialect.inserted_id(cursor)
        assert entry_id is not None
        return entry_id

    def balance(self, guild_id: int, member_id: int) -> Balance:
        row = self._conn.execute(
            "SELECT balance FROM ledger_accounts"
            " WHERE guild_id = ? AND kind = 'wallet' AND member_id = ? AND auction_id = 0",
            (guild_id, member_id),
        ).fetchone()
        holds = self._conn.execute(
            "SELECT h.auction_id, h.balance, a.handle_display"
            " FROM ledger_accounts AS h LEFT JOIN auctions AS a ON a.id = h.auction_id"
            " WHERE h.guild_id = ? AND h.member_id = ? AND h.kind = 'hold' AND h.balance > 0"
            " ORDER BY h.auction_id",
            (guild_id, member_id),
        ).fetchall()
        return Balance(
            available=0 if row is None else int(row[0]),
            holds=tuple(Hold(a, amount, handle or "") for a, amount, handle in holds),
        )

    def issued(self, guild_id: int) -> int:
        source = self._account(guild_id, SOURCE)
        row = self._conn.execute(
            f"SELECT balance FROM ledger_accounts WHERE id = ?{self._lock}", (source,)
        ).fetchone()
        return int(row[0])

    def holds_on(self, guild_id: int, auction_id: int) -> dict[int, int]:
        rows = self._conn.execute(
            "SELECT member_id, balance FROM ledger_accounts"
            " WHERE auction_id = ? AND kind = 'hold' AND guild_id = ? AND balance > 0",
            (auction_id, guild_id),
        ).fetchall()
        return {int(m): int(b) for m, b in rows}

    def balances(self, guild_id: int) -> dict[Account, int]:
        """The cached balances, and the house's revenue summed from its entries: it is the
        one account every close adds to, so it has no cached row for closes to wait on."""
        rows = self._conn.execute(
            "SELECT kind, member_id, auction_id, balance FROM ledger_accounts WHERE guild_id = ?",
            (guild_id,),
        ).fetchall()
        balances = {Account(AccountKind(k), m, a): int(b) for k, m, a, b in rows}
        if REVENUE in balances:
            balances[REVENUE] = self.revenue(guild_id)
        return balances

    def revenue(self, guild_id: int) -> int:
        row = self._conn.execute(
            "SELECT COALESCE(SUM(e.amount), 0) FROM ledger_accounts AS a"
            " JOIN ledger_entries AS e ON e.credit_account = a.id"
            " WHERE a.guild_id = ? AND a.kind = 'revenue'",
            (guild_id,),
        ).fetchone()
        return int(row[0])

    def replay_check(self, guild_id: int) -> list[Mismatch]:
        """Recompute every account's balance from the entries and compare with the cache."""
        rows = self._conn.execute(
            "SELECT a.kind, a.member_id, a.auction_id, a.balance,"
            " COALESCE((SELECT SUM(e.amount) FROM ledger_entries AS e"
            "  WHERE e.credit_account = a.id), 0),"
            " COALESCE((SELECT SUM(e.amount) FROM ledger_entries AS e"
            "  WHERE e.debit_account = a.id), 0)"
            " FROM ledger_accounts AS a WHERE a.guild_id = ? ORDER BY a.id",
            (guild_id,),
        ).fetchall()
        wrong = []
        for kind, member_id, auction_id, cached, received, gave in rows:
            account = Account(AccountKind(kind), member_id, auction_id)
            if account.kind is AccountKind.REVENUE:
                continue  # never cached: always what its entries add up to
            derived = int(gave) - int(received) if account.counts_outflows else received - gave
            if derived != cached:
                wrong.append(Mismatch(account, int(cached), int(derived)))
        return wrong

    def entries(
        self, guild_id: int, member_id: int, *, offset: int = 0, limit: int = 10
    ) -> list[Entry]:
        """The member's entries, newest first."""
        rows = self._conn.execute(
            f"SELECT {_ENTRY} WHERE e.guild_id = ? AND e.member_id = ?"
            " ORDER BY e.id DESC LIMIT ? OFFSET ?",
            (guild_id, member_id, limit, offset),
        ).fetchall()
        return [_entry(r) for r in rows]

    def count_entries(self, guild_id: int, member_id: int) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM ledger_entries WHERE guild_id = ? AND member_id = ?",
            (guild_id, member_id),
        ).fetchone()
        return int(row[0])

    def all_entries(self, guild_id: int) -> list[Entry]:
        """Every entry of the server, oldest first (for checks and audits)."""
        rows = self._conn.execute(
            f"SELECT {_ENTRY} WHERE e.guild_id = ? ORDER BY e.id", (guild_id,)
        ).fetchall()
        return [_entry(r) for r in rows]
