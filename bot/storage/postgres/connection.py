"""A psycopg connection as the shared repositories see it, and PostgreSQL's ``Dialect``."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import psycopg

from bot.storage.sql.connection import Connection, Cursor


@functools.lru_cache(maxsize=2048)
def to_format(sql: str) -> str:
    """The shared statements' ``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` as
    ``%%``). The statements hold no ``?`` inside string literals."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """``execute(sql, params)`` with ``?`` placeholders, over one psycopg connection."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        cursor: Cursor = self.raw.execute(to_format(sql), parameters)
        return cursor


class PostgresDialect:
    """Several processes write: nothing is cached between transactions, and the one row a
    write goes on to change (an auction, an inventory item, a scheduled start) is read with
    FOR UPDATE, so concurrent writers of it take turns (READ COMMITTED then reads the row as
    the previous writer committed it)."""

    caches_auctions = False
    no_limit: int | None = None
    returning_id = " RETURNING id"

    def __init__(self, *, locking: bool) -> None:
        self.lock_for_update = " FOR UPDATE" if locking else ""

    def inserted_id(self, cursor: Cursor) -> int | None:
        row = cursor.fetchone()
        return None if row is None else int(row[0])

    def indexed_by(self, index: str) -> str:
        return ""  # PostgreSQL's planner finds the partial indexes itself

    def hold(self, conn: Connection, name: str) -> None:
        # A transaction-level advisory lock on a 64-bit hash of the name.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (name,))

    def next_revision(self, conn: Connection) -> int:
        revision: int = conn.execute("SELECT nextval('auction_revisions')").fetchone()[0]
        return revision


WRITING = PostgresDialect(locking=True)
READING = PostgresDialect(locking=False)
