"""Leases in SQLite (``LeaseRepository``): named work one process at a time may do."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from bot.storage.sqlite.codec import to_us


class SqliteLeases:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def acquire(self, name: str, *, by: str, now: datetime, lease: timedelta) -> bool:
        # One conditional upsert: two processes asking at once cannot both get it.
        cursor = self._conn.execute(
            "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE leases.holder = excluded.holder OR leases.until <= ?",
            (name, by, to_us(now + lease), to_us(now)),
        )
        return cursor.rowcount == 1

    def take(self, name: str, *, by: str, now: datetime, lease: timedelta) -> None:
        self._conn.execute(
            "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until",
            (name, by, to_us(now + lease)),
        )

    def release(self, name: str, *, by: str) -> None:
        self._conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, by))
