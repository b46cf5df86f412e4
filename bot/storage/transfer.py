"""What moving a database from one store to another shares, whatever the drivers: a table's
shape, the reading side (``Source``), the order tables are copied in, what was moved, and
the ways a move is refused. ``bot.storage.sqlite.export`` reads; ``bot.storage.postgres.load``
writes; ``bot.storage.migrate_db`` puts them together."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.ports import StartupError

# The same SQL on both sides, compared result for result after the copy: what each auction's
# bids add up to (a lost or changed bid shows here even where ids happen to line up).
CHECKS = {
    "bids per auction (count, voided, sum of amounts)": (
        "SELECT auction_id, COUNT(*), SUM(CASE WHEN voided_at IS NULL THEN 0 ELSE 1 END),"
        " SUM(amount) FROM bids GROUP BY auction_id ORDER BY auction_id"
    ),
    "wallet ledger entries per server and movement (count, credits moved)": (
        "SELECT guild_id, movement, COUNT(*), SUM(amount) FROM ledger_entries"
        " GROUP BY guild_id, movement ORDER BY guild_id, movement"
    ),
    "wallet balances per server and account kind (count, sum)": (
        "SELECT guild_id, kind, COUNT(*), SUM(balance) FROM ledger_accounts"
        " GROUP BY guild_id, kind ORDER BY guild_id, kind"
    ),
    "current owners in the sold registry": (
        "SELECT guild_id, COUNT(*), SUM(price) FROM sold_handles WHERE released_at IS NULL"
        " GROUP BY guild_id ORDER BY guild_id"
    ),
}


@dataclass(frozen=True, slots=True)
class Table:
    """A table as the source holds it: its columns in order, the columns that order its rows
    (its primary key, or every column without one) and the tables it references."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    parents: frozenset[str]


class Source(Protocol):
    """A consistent snapshot of a database, read on one thread."""

    @property
    def name(self) -> str: ...

    def tables(self) -> list[Table]: ...

    def rows(self, table: Table) -> Iterator[tuple[Any, ...]]:
        """Every row of ``table``, its columns in ``table.columns`` order, by ``table.key``."""
        ...

    def count(self, table: str) -> int: ...

    def query(self, sql: str) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True, slots=True)
class Moved:
    """What a move copied: each table with its row count, in the order copied."""

    source: str
    target: str
    tables: tuple[tuple[str, int], ...]
    left_empty: tuple[str, ...]  # tables only the target has
    seconds: float

    @property
    def rows(self) -> int:
        return sum(count for _, count in self.tables)


class TransferError(StartupError):
    """The move cannot be made; the message is one line for the operator."""


class TargetNotEmpty(TransferError):
    def __init__(self, target: str, occupied: Sequence[tuple[str, int]]) -> None:
        self.occupied = tuple(occupied)
        tables = ", ".join(f"{name} has {count:,} row(s)" for name, count in occupied)
        super().__init__(
            f"{target} is not empty ({tables}); migrate-db copies into an empty database"
            " only, so nothing was changed"
        )


class CopyMismatch(TransferError):
    """The copy differs from its source; ``differences`` says how, a line each."""

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = tuple(differences)
        super().__init__(
            "the copy does not match the SQLite database, so it was rolled back and"
            f" PostgreSQL is as it was ({len(differences)} difference(s))"
        )


def copy_order(names: Sequence[str], parents: Mapping[str, frozenset[str]]) -> list[str]:
    """``names`` with every table after the tables it references (a row's parent is there
    before it), otherwise in the given order. A table referencing itself is fine: rows go in
    by key, so a parent row, with its smaller id, comes first."""
    placed: list[str] = []
    waiting = list(names)
    while waiting:
        ready = next(
            (
                name
                for name in waiting
                if all(p in placed or p == name or p not in names for p in parents.get(name, ()))
            ),
            None,
        )
        if ready is None:
            raise TransferError(
                "these tables reference each other in a cycle, so no copy order keeps every"
                f" foreign key: {', '.join(waiting)}"
            )
        placed.append(ready)
        waiting.remove(ready)
    return placed
