"""The outbox (``OutboxRepository``): messages to deliver, written in the
transaction that caused them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.domain.messages import MessageKind, OutboxCounts, OutboxMessage
from bot.storage.sql.codec import from_us, to_us
from bot.storage.sql.connection import Connection, Dialect

# Pending, and not held back behind its auction's opening post. Both parts are answered from
# partial indexes of pending rows (migration 0005), so delivered history costs nothing here.
_SENDABLE = """
    o.delivered_at IS NULL AND o.failed_at IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM outbox AS opening
        WHERE opening.auction_id = o.auction_id AND opening.id < o.id
          AND opening.kind = 'auction_opened'
          AND opening.delivered_at IS NULL AND opening.failed_at IS NULL
    )
"""
# No process holds it: never claimed, let go of, or held by a lease that ran out.
_UNCLAIMED = "(o.claimed_until IS NULL OR o.claimed_until <= ?)"
# Still pending and still claimed by the process recording what became of it. The lease may
# have run out while it was sent: as long as nobody else claimed it, the record stands.
_HELD_BY = "delivered_at IS NULL AND failed_at IS NULL AND claimed_by = ?"


class SqlOutbox:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def add(
        self,
        *,
        guild_id: int,
        auction_id: int | None,
        kind: MessageKind,
        payload: dict[str, Any],
        at: datetime,
        due_at: datetime | None = None,
    ) -> int | None:
        # The only uniqueness a message can break is the one pending outbid DM per member
        # and auction (migration 0007): then the pending one covers this one.
        cursor = self._conn.execute(
            "INSERT INTO outbox (guild_id, auction_id, kind, payload, created_at, next_attempt_at)"
            f" VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING{self._dialect.returning_id}",
            (
                guild_id,
                auction_id,
                kind.value,
                json.dumps(payload),
                to_us(at),
                to_us(at if due_at is None else max(at, due_at)),
            ),
        )
        return self._dialect.inserted_id(cursor)

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending messages due now that no process holds, oldest first. An auction's
        messages wait while its opening post is still pending (the post must exist before it
        is edited or answered); other messages never wait for each other, so a member's
        closed DMs cannot hold up a result."""
        rows = self._conn.execute(
            "SELECT id, guild_id, auction_id, kind, payload, created_at, attempts"
            # The pending index, not a walk in id order through the delivered history first.
            f" FROM outbox AS o {self._dialect.indexed_by('outbox_pending')}"
            f" WHERE {_SENDABLE} AND next_attempt_at <= ? AND {_UNCLAIMED} ORDER BY id LIMIT ?",
            (to_us(now), to_us(now), limit),
        ).fetchall()
        return [
            OutboxMessage(
                id=r[0], guild_id=r[1], auction_id=r[2], kind=MessageKind(r[3]),
                payload=json.loads(r[4]), created_at=from_us(r[5]), attempts=r[6],
            )
            for r in rows
        ]  # fmt: skip

    def claim(self, *, by: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        # The UPDATE checks the claim again: on PostgreSQL, a process whose read raced
        # another's waits on the rows' locks and then claims only what is still free.
        found = self.due(now, limit)
        if not found:
            return []
        ids = [m.id for m in found]
        marks = ", ".join("?" * len(ids))
        claimed = {
            row[0]
            for row in self._conn.execute(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ?"
                f" WHERE id IN ({marks}) AND delivered_at IS NULL AND failed_at IS NULL"
                " AND (claimed_until IS NULL OR claimed_until <= ?) RETURNING id",
                (by, to_us(now + lease), *ids, to_us(now)),
            )
        }
        return [m for m in found if m.id in claimed]

    def next_due_at(self) -> datetime | None:
        # A message another process holds is due again when its lease runs out.
        row = self._conn.execute(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until"
            f" ELSE next_attempt_at END) FROM outbox AS o {self._dialect.indexed_by('outbox_pending')}"
            f" WHERE {_SENDABLE}"
        ).fetchone()
        return None if row[0] is None else from_us(row[0])

    def mark_delivered(self, message_id: int, at: datetime, *, by: str) -> bool:
        """Mark delivered; False if it already was or ``by`` lost it (so delivery is
        recorded exactly once)."""
        cursor = self._conn.execute(
            "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1"
            f" WHERE id = ? AND {_HELD_BY}",
            (to_us(at), message_id, by),
        )
        return cursor.rowcount == 1

    def mark_retry(self, message_id: int, *, error: str, retry_at: datetime, by: str) -> bool:
        cursor = self._conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            f" claimed_by = NULL, claimed_until = NULL WHERE id = ? AND {_HELD_BY}",
            (error[:500], to_us(retry_at), message_id, by),
        )
        return cursor.rowcount == 1

    def mark_failed(self, message_id: int, *, error: str, at: datetime, by: str) -> bool:
        cursor = self._conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?"
            f" WHERE id = ? AND {_HELD_BY}",
            (error[:500], to_us(at), message_id, by),
        )
        return cursor.rowcount == 1

    def release(self, *, by: str | None) -> int:
        sql = (
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
            " WHERE delivered_at IS NULL AND failed_at IS NULL AND claimed_by IS NOT NULL"
        )
        if by is None:
            return self._conn.execute(sql).rowcount
        return self._conn.execute(f"{sql} AND claimed_by = ?", (by,)).rowcount

    def cancel(self, message_id: int, *, error: str, at: datetime) -> bool:
        cursor = self._conn.execute(
            "UPDATE outbox SET last_error = ?, failed_at = ? WHERE id = ?"
            " AND delivered_at IS NULL AND failed_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until <= ?)",
            (error[:500], to_us(at), message_id, to_us(at)),
        )
        return cursor.rowcount == 1

    def counts(self) -> OutboxCounts:
        row = self._conn.execute(
            "SELECT COUNT(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL),"
            " COUNT(delivered_at), COUNT(failed_at) FROM outbox"
        ).fetchone()
        return OutboxCounts(pending=row[0], delivered=row[1], failed=row[2])

    def prune(self, before: datetime, *, from_id: int | None, chunk: int) -> tuple[int, int | None]:
        # Walks the primary key in chunks, so each call is bounded whatever the history holds,
        # and no index on finish times taxes every delivery.
        cutoff = to_us(before)
        if from_id is None:
            from_id = self._conn.execute("SELECT MIN(id) FROM outbox").fetchone()[0]
            if from_id is None:
                return 0, None
        end = from_id + chunk
        deleted = self._conn.execute(
            "DELETE FROM outbox WHERE id >= ? AND id < ? AND ((delivered_at IS NOT NULL"
            " AND delivered_at < ?) OR (failed_at IS NOT NULL AND failed_at < ?))",
            (from_id, end, cutoff, cutoff),
        ).rowcount
        # Ids follow creation: once the next row was created after the cutoff, it and every
        # later one finished after it too.
        following = self._conn.execute(
            "SELECT id, created_at FROM outbox WHERE id >= ? ORDER BY id LIMIT 1", (end,)
        ).fetchone()
        if following is None or following[1] >= cutoff:
            return deleted, None
        return deleted, following[0]  # past any gap in the ids (pruned before)
