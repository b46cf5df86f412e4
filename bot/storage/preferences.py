"""Members' preferences and the bot's own remembered state."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.storage.codec import to_us


def set_outbid_dms(conn: sqlite3.Connection, guild_id: int, user_id: int, enabled: bool) -> None:
    conn.execute(
        "INSERT INTO member_settings (guild_id, user_id, outbid_dms) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET outbid_dms = excluded.outbid_dms",
        (guild_id, user_id, int(enabled)),
    )


def outbid_dms(conn: sqlite3.Connection, guild_id: int, user_id: int) -> bool:
    """Whether the member wants a DM when outbid (yes unless they turned it off)."""
    row = conn.execute(
        "SELECT outbid_dms FROM member_settings WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ).fetchone()
    return True if row is None else bool(row[0])


def get_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_state(conn: sqlite3.Connection, key: str, value: str, at: datetime) -> None:
    conn.execute(
        "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, to_us(at)),
    )
