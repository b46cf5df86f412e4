"""The audit log: every moderator action, who did it, when and why."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.storage.codec import to_us


@dataclass(frozen=True, slots=True)
class AuditEntry:
    guild_id: int
    auction_id: int | None
    actor_id: int
    action: str
    detail: str
    reason: str | None
    at: datetime


def record(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    conn.execute(
        "INSERT INTO audit_log (guild_id, auction_id, actor_id, action, detail, reason, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            entry.guild_id, entry.auction_id, entry.actor_id, entry.action, entry.detail,
            entry.reason, to_us(entry.at),
        ),
    )  # fmt: skip
