"""What the shared repositories need to know about SQLite (``Dialect``)."""

from __future__ import annotations

import itertools

from bot.storage.sql.connection import Connection, Cursor


class SqliteDialect:
    """One per store. SQLite serialises writers itself and one process owns the file
    (``ProcessLock``), so rows need no locks and auctions may be cached between
    transactions; revisions come from a counter in memory, started past the stored ones."""

    caches_auctions = True
    lock_for_update = ""
    no_limit: int | None = -1
    returning_id = ""  # the cursor's lastrowid names the new row

    def __init__(self) -> None:
        self._revisions: itertools.count[int] | None = None

    def inserted_id(self, cursor: Cursor) -> int | None:
        if cursor.rowcount != 1:
            return None
        row_id: int | None = cursor.lastrowid  # type: ignore[attr-defined]
        return row_id

    def indexed_by(self, index: str) -> str:
        # SQLite's planner walks the primary key through the whole history unless told to
        # use the small partial index of pending rows.
        return f"INDEXED BY {index}"

    def hold(self, conn: Connection, name: str) -> None:
        pass  # one writer at a time already (BEGIN IMMEDIATE)

    def next_revision(self, conn: Connection) -> int:
        if self._revisions is None:  # started on first use, on the connection's own thread
            latest = conn.execute("SELECT MAX(revision) FROM auctions").fetchone()[0]
            self._revisions = itertools.count((latest or 0) + 1)
        return next(self._revisions)
