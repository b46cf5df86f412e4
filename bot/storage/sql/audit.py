"""The audit log (``AuditLog``): every moderator and admin action."""

from __future__ import annotations

from bot.domain.records import AuditEntry
from bot.storage.sql.codec import to_us
from bot.storage.sql.connection import Connection, Dialect


class SqlAuditLog:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def record(self, entry: AuditEntry) -> None:
        self._conn.execute(
            "INSERT INTO audit_log (guild_id, auction_id, actor_id, action, detail, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.guild_id, entry.auction_id, entry.actor_id, entry.action, entry.detail,
                entry.reason, to_us(entry.at),
            ),
        )  # fmt: skip
