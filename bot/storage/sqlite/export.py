"""The SQLite side of ``migrate-db``: the database held so no bot can use it, brought up to
date, and read as one consistent snapshot, table by table, each in key order."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from bot.domain.money import Currency
from bot.storage.sqlite.process_lock import DatabaseInUse
from bot.storage.sqlite.store import SqliteStore
from bot.storage.transfer import Table, TransferError

# Batches of this many rows keep the read streaming without a round trip per row.
FETCH = 5_000


@contextlib.asynccontextmanager
async def held(path: Path, *, legacy_currency: Currency) -> AsyncIterator[None]:
    """Hold the database at ``path`` for as long as the block runs: it must exist, and no bot
    may be running on it (a bid it took during the copy would be lost). Its schema is brought
    up to date first, as the bot would at start-up."""
    if not await asyncio.to_thread(path.is_file):
        raise TransferError(f"there is no SQLite database at {path}")
    try:
        store = await SqliteStore.open(path, exclusive=True, legacy_currency=legacy_currency)
    except DatabaseInUse as exc:
        who = "a bot" + ("" if exc.holder_pid is None else f" (pid {exc.holder_pid})")
        raise TransferError(
            f"{who} is running on {exc.database}; stop the bot first, so that no bid"
            " arrives while its history is copied"
        ) from exc
    try:
        yield
    finally:
        await store.close()


class SqliteSnapshot:
    """Implements ``Source``: one read transaction, so every table is read as of one moment,
    the copy and the check after it alike."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self._conn = conn
        self.name = name

    def tables(self) -> list[Table]:
        names = [
            row[0]
            for row in self._conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
            )
        ]
        return [self._table(name) for name in names]

    def _table(self, name: str) -> Table:
        info = self._conn.execute("SELECT * FROM pragma_table_info(?)", (name,)).fetchall()
        columns = tuple(str(row[1]) for row in info)
        key = tuple(str(row[1]) for row in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        parents = frozenset(
            str(row[0])
            for row in self._conn.execute(
                'SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)', (name,)
            )
        )
        return Table(name, columns, key or columns, parents)

    def rows(self, table: Table) -> Iterator[tuple[Any, ...]]:
        cursor = self._conn.execute(
            f"SELECT {_list(table.columns)} FROM {_name(table.name)} ORDER BY {_list(table.key)}"
        )
        while batch := cursor.fetchmany(FETCH):
            yield from batch

    def count(self, table: str) -> int:
        return int(self._conn.execute(f"SELECT COUNT(*) FROM {_name(table)}").fetchone()[0])

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._conn.execute(sql)]


@contextlib.contextmanager
def snapshot(path: Path) -> Iterator[SqliteSnapshot]:
    """A read-only snapshot of the database at ``path``, on the calling thread."""
    conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        # A deferred transaction's snapshot starts with its first read: take it now.
        conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()
        yield SqliteSnapshot(conn, str(path))
    finally:
        conn.close()


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _list(identifiers: tuple[str, ...]) -> str:
    return ", ".join(_name(i) for i in identifiers)
