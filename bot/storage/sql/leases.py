"""Leases (``LeaseRepository``): named work one process at a time may do."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.sql.codec import to_us
from bot.storage.sql.connection import Connection, Dialect


class SqlLeases:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
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
