"""What the repositories need from a database connection, and from its dialect.

Statements use ``?`` placeholders (SQLite's); the PostgreSQL adapter's connection rewrites
them for its driver. Times are integer microseconds since the epoch in both stores
(``codec``), so a row reads the same from either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...


class Dialect(Protocol):
    """What differs between the stores, for the repositories of one transaction."""

    # Whether decoded auctions may be kept between transactions: true only where one
    # process is the only writer and the store tells the repository of every rollback.
    caches_auctions: bool
    # Appended to the reads of one row that a write transaction goes on to change (the
    # auction a bid is placed on): where several processes write, the row is locked until
    # the transaction ends, so two bids on one auction take turns instead of both winning.
    lock_for_update: str
    # LIMIT's value for "no limit" (SQLite: -1; PostgreSQL: NULL).
    no_limit: int | None
    # Appended to an INSERT whose new row's id is wanted ('' where the cursor knows it).
    returning_id: str

    def inserted_id(self, cursor: Cursor) -> int | None:
        """The id of the row the INSERT just made; None if it made none (a conflict
        ignored by ``ON CONFLICT DO NOTHING``)."""
        ...

    def indexed_by(self, index: str) -> str:
        """A planner hint naming the partial index a query must use ('' where not needed)."""
        ...

    def hold(self, conn: Connection, name: str) -> None:
        """Until the transaction ends, other transactions that hold ``name`` wait."""
        ...

    def next_revision(self, conn: Connection) -> int:
        """A new auction revision: never reused, increasing in commit order per auction."""
        ...


# Row ids are signed 64-bit integers in both stores: a larger id (a forged button, a typed
# number) names no row, and binding it would overflow.
MAX_ROW_ID = 2**63 - 1


def new_row_id(dialect: Dialect, cursor: Cursor) -> int:
    """The id of the row a plain INSERT made (it makes its row or raises)."""
    row_id = dialect.inserted_id(cursor)
    if row_id is None:
        raise RuntimeError("the INSERT made no row")
    return row_id
