"""The audit log in SQLite (``AuditLog``): every moderator and admin action."""

from __future__ import annotations

import sqlite3

from bot.domain.records import AuditEntry
from bot.storage.sqlite.codec import to_us


class SqliteAuditLog:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def record(self, entry: AuditEntry) -> None:
        self._conn.execute(
            "INSERT INTO audit_log (guild_id, auction_id, actor_id, action, detail, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.guild_id, entry.auction_id, entry.actor_id, entry.action, entry.detail,
                entry.reason, to_us(entry.at),
            ),
        )  # fmt: skip
