"""The outbox: messages the Discord layer must deliver, written in the transaction that caused them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.storage.codec import from_us, to_us


class MessageKind(StrEnum):
    AUCTION_OPENED = "auction_opened"  # post the live auction post
    OUTBID = "outbid"  # tell the previous leader (DM)
    AUCTION_CLOSED = "auction_closed"  # announce the result, close the post
    WINNER_NOTICE = "winner_notice"  # tell the winner (DM)
    AUCTION_CANCELLED = "auction_cancelled"  # announce the cancellation, close the post
    MODERATOR_ACTION = "moderator_action"  # copy to the audit channel, if one is configured


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    guild_id: int
    auction_id: int | None
    kind: MessageKind
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


def add(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    auction_id: int | None,
    kind: MessageKind,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    cursor = conn.execute(
        "INSERT INTO outbox (guild_id, auction_id, kind, payload, created_at, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, auction_id, kind.value, json.dumps(payload), to_us(at), to_us(at)),
    )
    message_id = cursor.lastrowid
    assert message_id is not None
    return message_id


# Pending, and not held back behind its auction's opening post.
_SENDABLE = """
    o.delivered_at IS NULL AND o.failed_at IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM outbox AS opening
        WHERE opening.auction_id = o.auction_id AND opening.id < o.id
          AND opening.kind = 'auction_opened'
          AND opening.delivered_at IS NULL AND opening.failed_at IS NULL
    )
"""


def due(conn: sqlite3.Connection, now: datetime, limit: int) -> list[OutboxMessage]:
    """Pending messages due now, oldest first. An auction's messages wait while its opening
    post is still pending (the post must exist before it is edited or answered); other
    messages never wait for each other, so a member's closed DMs cannot hold up a result."""
    rows = conn.execute(
        "SELECT id, guild_id, auction_id, kind, payload, created_at, attempts FROM outbox AS o"
        f" WHERE {_SENDABLE} AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        (to_us(now), limit),
    ).fetchall()
    return [
        OutboxMessage(
            id=r[0], guild_id=r[1], auction_id=r[2], kind=MessageKind(r[3]),
            payload=json.loads(r[4]), created_at=from_us(r[5]), attempts=r[6],
        )
        for r in rows
    ]  # fmt: skip


def next_due_at(conn: sqlite3.Connection) -> datetime | None:
    """When the next sendable message falls due (held-back ones wait for their opening post)."""
    row = conn.execute(f"SELECT MIN(next_attempt_at) FROM outbox AS o WHERE {_SENDABLE}").fetchone()
    return None if row[0] is None else from_us(row[0])


def mark_delivered(conn: sqlite3.Connection, message_id: int, at: datetime) -> bool:
    """Mark delivered; False if it already was (so delivery is recorded exactly once)."""
    cursor = conn.execute(
        "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1"
        " WHERE id = ? AND delivered_at IS NULL",
        (to_us(at), message_id),
    )
    return cursor.rowcount == 1


def mark_retry(
    conn: sqlite3.Connection, message_id: int, *, error: str, retry_at: datetime
) -> None:
    conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
        " WHERE id = ? AND delivered_at IS NULL",
        (error[:500], to_us(retry_at), message_id),
    )


def mark_failed(conn: sqlite3.Connection, message_id: int, *, error: str, at: datetime) -> None:
    conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?"
        " WHERE id = ? AND delivered_at IS NULL",
        (error[:500], to_us(at), message_id),
    )


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    delivered: int
    failed: int


def counts(conn: sqlite3.Connection) -> OutboxCounts:
    row = conn.execute(
        "SELECT COUNT(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL),"
        " COUNT(delivered_at), COUNT(failed_at) FROM outbox"
    ).fetchone()
    return OutboxCounts(pending=row[0], delivered=row[1], failed=row[2])
