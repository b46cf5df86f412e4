"""The audit log: every moderator action, who did it, when and why."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.storage.codec import from_us, to_us


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


def entries(conn: sqlite3.Connection, guild_id: int, *, limit: int = 50) -> list[AuditEntry]:
    """The guild's most recent entries, newest first."""
    rows = conn.execute(
        "SELECT guild_id, auction_id, actor_id, action, detail, reason, at FROM audit_log"
        " WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
        (guild_id, limit),
    ).fetchall()
    return [
        AuditEntry(
            guild_id=r[0], auction_id=r[1], actor_id=r[2], action=r[3], detail=r[4],
            reason=r[5], at=from_us(r[6]),
        )
        for r in rows
    ]  # fmt: skip
