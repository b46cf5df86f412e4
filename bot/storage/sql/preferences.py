"""Members' preferences, the bot's remembered state and the servers' settings in SQLite."""

from __future__ import annotations

from datetime import datetime

from bot.storage.sql.codec import to_us
from bot.storage.sql.connection import Connection, Dialect


class SqlMemberPreferences:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def set_outbid_dms(self, guild_id: int, user_id: int, enabled: bool) -> None:
        self._conn.execute(
            "INSERT INTO member_settings (guild_id, user_id, outbid_dms) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET outbid_dms = excluded.outbid_dms",
            (guild_id, user_id, int(enabled)),
        )

    def outbid_dms(self, guild_id: int, user_id: int) -> bool:
        row = self._conn.execute(
            "SELECT outbid_dms FROM member_settings WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ).fetchone()
        return True if row is None else bool(row[0])


class SqlBotState:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def get(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str, at: datetime) -> None:
        self._conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, to_us(at)),
        )


class SqlServerSettings:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def hold(self, guild_id: int) -> None:
        self._dialect.hold(self._conn, f"server-settings:{guild_id}")

    def overrides(self, guild_id: int) -> dict[str, str]:
        rows = self._conn.execute(
            "SELECT key, value FROM server_settings WHERE guild_id = ?", (guild_id,)
        ).fetchall()
        return {str(key): str(value) for key, value in rows}

    def set(self, guild_id: int, key: str, value: str | None, *, by: int, at: datetime) -> None:
        if value is None:
            self._conn.execute(
                "DELETE FROM server_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
            )
            return
        self._conn.execute(
            "INSERT INTO server_settings (guild_id, key, value, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, key) DO UPDATE SET"
            " value = excluded.value, updated_by = excluded.updated_by,"
            " updated_at = excluded.updated_at",
            (guild_id, key, value, by, to_us(at)),
        )
