"""Drops and scheduled starts (``ScheduleRepository``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import AuctionNotFound
from bot.domain.inventory import Drop, ScheduledStart
from bot.storage.sql.codec import from_us, opt_from_us, span_us, to_us
from bot.storage.sql.connection import MAX_ROW_ID, Connection, Dialect, new_row_id

_DROP = (
    "id, guild_id, created_by, created_at, first_start, interval_us, duration_us, channel_id,"
    " announce_at, cancelled_at, announcement_id"
)
_START = (
    "id, guild_id, inventory_id, drop_id, starts_at, duration_us, starting_bid, channel_id,"
    " opened_by, relist_number, relisted_from, started_at, auction_id, cancelled_at"
)
_PENDING = "started_at IS NULL AND cancelled_at IS NULL"


def _drop(r: Any) -> Drop:
    return Drop(
        id=r[0], guild_id=r[1], created_by=r[2], created_at=from_us(r[3]),
        first_start=from_us(r[4]), interval=timedelta(microseconds=r[5]),
        duration=timedelta(microseconds=r[6]), channel_id=r[7], announce_at=from_us(r[8]),
        cancelled_at=opt_from_us(r[9]), announcement_id=r[10],
    )  # fmt: skip


def _start(r: Any) -> ScheduledStart:
    return ScheduledStart(
        id=r[0], guild_id=r[1], inventory_id=r[2], drop_id=r[3], starts_at=from_us(r[4]),
        duration=timedelta(microseconds=r[5]), starting_bid=r[6], channel_id=r[7],
        opened_by=r[8], relist_number=r[9], relisted_from=r[10],
        started_at=opt_from_us(r[11]), auction_id=r[12], cancelled_at=opt_from_us(r[13]),
    )  # fmt: skip


class SqlSchedule:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def add_drop(
        self,
        *,
        guild_id: int,
        created_by: int,
        created_at: datetime,
        first_start: datetime,
        interval: timedelta,
        duration: timedelta,
        channel_id: int | None,
        announce_at: datetime,
    ) -> Drop:
        cursor = self._conn.execute(
            "INSERT INTO drops (guild_id, created_by, created_at, first_start, interval_us,"
            " duration_us, channel_id, announce_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            f"{self._dialect.returning_id}",
            (
                guild_id, created_by, to_us(created_at), to_us(first_start), span_us(interval),
                span_us(duration), channel_id, to_us(announce_at),
            ),
        )  # fmt: skip
        return self.get_drop(new_row_id(self._dialect, cursor))

    def get_drop(self, drop_id: int) -> Drop:
        row = None
        if 0 < drop_id <= MAX_ROW_ID:
            row = self._conn.execute(
                f"SELECT {_DROP} FROM drops WHERE id = ?", (drop_id,)
            ).fetchone()
        if row is None:
            raise AuctionNotFound(f"There is no drop #{drop_id} on this server.")
        return _drop(row)

    def set_announcement(self, drop_id: int, message_id: int | None) -> None:
        self._conn.execute(
            "UPDATE drops SET announcement_id = ? WHERE id = ?", (message_id, drop_id)
        )

    def cancel_drop(self, drop_id: int, *, by: int, reason: str, at: datetime) -> bool:
        cursor = self._conn.execute(
            "UPDATE drops SET cancelled_at = ?, cancelled_by = ?, cancel_reason = ?"
            " WHERE id = ? AND cancelled_at IS NULL",
            (to_us(at), by, reason, drop_id),
        )
        return cursor.rowcount == 1

    def upcoming_drops(self, guild_id: int, now: datetime) -> list[Drop]:
        rows = self._conn.execute(
            f"SELECT {_DROP} FROM drops AS d WHERE guild_id = ? AND cancelled_at IS NULL"
            f" AND EXISTS (SELECT 1 FROM scheduled_starts WHERE drop_id = d.id AND {_PENDING})"
            " ORDER BY first_start, id",
            (guild_id,),
        ).fetchall()
        return [_drop(r) for r in rows]

    def add_start(
        self,
        *,
        guild_id: int,
        inventory_id: int,
        drop_id: int | None,
        starts_at: datetime,
        duration: timedelta,
        starting_bid: int | None,
        channel_id: int | None,
        opened_by: int,
        relist_number: int = 0,
        relisted_from: int | None = None,
    ) -> ScheduledStart:
        cursor = self._conn.execute(
            "INSERT INTO scheduled_starts (guild_id, inventory_id, drop_id, starts_at,"
            " duration_us, starting_bid, channel_id, opened_by, relist_number, relisted_from)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?){self._dialect.returning_id}",
            (
                guild_id, inventory_id, drop_id, to_us(starts_at), span_us(duration),
                starting_bid, channel_id, opened_by, relist_number, relisted_from,
            ),
        )  # fmt: skip
        return self.get_start(new_row_id(self._dialect, cursor))

    def get_start(self, start_id: int) -> ScheduledStart:
        row = self._conn.execute(
            f"SELECT {_START} FROM scheduled_starts WHERE id = ?{self._dialect.lock_for_update}",
            (start_id,),
        ).fetchone()
        if row is None:
            raise AuctionNotFound("That scheduled start no longer exists.")
        return _start(row)

    def starts_of_drop(self, drop_id: int) -> list[ScheduledStart]:
        rows = self._conn.execute(
            f"SELECT {_START} FROM scheduled_starts WHERE drop_id = ? ORDER BY starts_at, id",
            (drop_id,),
        ).fetchall()
        return [_start(r) for r in rows]

    def pending_for(self, inventory_id: int) -> ScheduledStart | None:
        row = self._conn.execute(
            f"SELECT {_START} FROM scheduled_starts WHERE inventory_id = ? AND {_PENDING}",
            (inventory_id,),
        ).fetchone()
        return None if row is None else _start(row)

    def mark_started(self, start_id: int, auction_id: int, at: datetime) -> bool:
        cursor = self._conn.execute(
            f"UPDATE scheduled_starts SET started_at = ?, auction_id = ? WHERE id = ? AND {_PENDING}",
            (to_us(at), auction_id, start_id),
        )
        return cursor.rowcount == 1

    def mark_cancelled(self, start_id: int, at: datetime, reason: str) -> bool:
        cursor = self._conn.execute(
            f"UPDATE scheduled_starts SET cancelled_at = ?, skip_reason = ? WHERE id = ? AND {_PENDING}",
            (to_us(at), reason, start_id),
        )
        return cursor.rowcount == 1

    def starting_by(self, until: datetime) -> list[tuple[int, datetime]]:
        rows = self._conn.execute(
            "SELECT id, starts_at FROM scheduled_starts"
            f" {self._dialect.indexed_by('scheduled_starts_pending')}"
            f" WHERE {_PENDING} AND starts_at <= ? ORDER BY starts_at, id",
            (to_us(until),),
        ).fetchall()
        return [(r[0], from_us(r[1])) for r in rows]
