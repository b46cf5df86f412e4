"""Claims on outbox messages and named leases: what lets several processes share one store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.domain.messages import MessageKind
from bot.storage.postgres.connection import WRITING, PgConnection
from bot.storage.sql.codec import to_us
from bot.storage.sql.connection import Connection, Dialect
from bot.storage.sql.leases import SqlLeases
from bot.storage.sql.outbox import SqlOutbox
from bot.storage.sqlite.dialect import SqliteDialect
from bot.storage.sqlite.schema import migrate

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def dialect(store_kind: str) -> Dialect:
    return WRITING if store_kind == "postgres" else SqliteDialect()


@pytest.fixture
def conn(tmp_path: Path, store_kind: str, request: pytest.FixtureRequest) -> Iterator[Connection]:
    """Each statement in its own transaction, on SQLite or on PostgreSQL."""
    if store_kind == "postgres":
        raw = psycopg.connect(request.getfixturevalue("postgres_url"), autocommit=True)
        connection: Connection = PgConnection(raw)
    else:
        lite = sqlite3.connect(tmp_path / "leases.db", isolation_level=None)
        migrate(lite)
        connection = lite
    connection.execute(
        "INSERT INTO auctions (id, guild_id, handle_key, handle_display, platform, starting_bid,"
        " increment_absolute, increment_percent, anti_snipe_window_us, anti_snipe_extension_us,"
        " max_extensions, opened_by, opened_at, ends_at) VALUES (1, 1, 'og', '@og', 'x', 1, 1,"
        " 0, 0, 0, 0, 1, 0, 0)"
    )
    yield connection
    if isinstance(connection, PgConnection):
        connection.raw.close()


@pytest.fixture
def outbox(conn: Connection, dialect: Dialect) -> SqlOutbox:
    return SqlOutbox(conn, dialect)


@pytest.fixture
def leases(conn: Connection, dialect: Dialect) -> SqlLeases:
    return SqlLeases(conn, dialect)


def _queue(outbox: SqlOutbox, kind: MessageKind, auction_id: int | None = None) -> int:
    added = outbox.add(guild_id=1, auction_id=auction_id, kind=kind, payload={}, at=T0)
    assert added is not None
    return added


def _claim(outbox: SqlOutbox, by: str, now: datetime = T0, limit: int = 50) -> list[int]:
    return [m.id for m in outbox.claim(by=by, now=now, lease=LEASE, limit=limit)]


def test_a_claimed_message_is_nobody_elses_until_its_lease_runs_out(
    outbox: SqlOutbox, conn: Connection
) -> None:
    first = _queue(outbox, MessageKind.MODERATOR_ACTION)
    second = _queue(outbox, MessageKind.HOUSE_NOTICE)
    assert _claim(outbox, "a", limit=1) == [first]
    assert _claim(outbox, "b") == [second]  # the one left
    assert _claim(outbox, "c", T0 + LEASE - timedelta(microseconds=1)) == []
    assert outbox.due(T0, 50) == []
    # Both leases run out: whoever asks next gets both, oldest first.
    assert _claim(outbox, "c", T0 + LEASE) == [first, second]
    row = conn.execute("SELECT claimed_by, claimed_until FROM outbox WHERE id = ?", (first,))
    assert row.fetchone() == ("c", to_us(T0 + LEASE + LEASE))


def test_only_the_holder_records_what_became_of_a_message(outbox: SqlOutbox) -> None:
    message = _queue(outbox, MessageKind.MODERATOR_ACTION)
    assert _claim(outbox, "a") == [message]
    assert not outbox.mark_delivered(message, T0, by="b")
    assert not outbox.mark_failed(message, error="no", at=T0, by="b")
    assert not outbox.mark_retry(message, error="no", retry_at=T0, by="b")
    assert outbox.counts().pending == 1
    # a's lease ran out and b took it over: a can no longer record anything.
    assert _claim(outbox, "b", T0 + LEASE) == [message]
    assert not outbox.mark_delivered(message, T0 + LEASE, by="a")
    assert outbox.mark_delivered(message, T0 + LEASE, by="b")
    assert not outbox.mark_delivered(message, T0 + LEASE, by="b")  # recorded once
    assert outbox.counts().delivered == 1


def test_a_holder_whose_lease_ran_out_unclaimed_still_records(outbox: SqlOutbox) -> None:
    message = _queue(outbox, MessageKind.MODERATOR_ACTION)
    assert _claim(outbox, "a") == [message]
    assert outbox.mark_failed(message, error="gone", at=T0 + 2 * LEASE, by="a")
    assert outbox.counts().failed == 1


def test_a_retry_lets_go_of_the_claim_and_waits_for_its_time(outbox: SqlOutbox) -> None:
    message = _queue(outbox, MessageKind.MODERATOR_ACTION)
    assert _claim(outbox, "a") == [message]
    retry_at = T0 + timedelta(seconds=2)
    assert outbox.mark_retry(message, error="down", retry_at=retry_at, by="a")
    assert outbox.next_due_at() == retry_at  # not the lease's end: nobody holds it
    assert _claim(outbox, "b", T0 + timedelta(seconds=1)) == []
    assert _claim(outbox, "b", retry_at) == [message]


def test_the_next_wake_up_is_when_a_held_message_s_lease_runs_out(
    outbox: SqlOutbox,
) -> None:
    _queue(outbox, MessageKind.MODERATOR_ACTION)
    assert outbox.next_due_at() == T0
    _claim(outbox, "a")
    assert outbox.next_due_at() == T0 + LEASE


def test_an_auction_s_messages_wait_for_its_opening_post_while_another_holds_it(
    outbox: SqlOutbox,
) -> None:
    opening = _queue(outbox, MessageKind.AUCTION_OPENED, auction_id=1)
    result = _queue(outbox, MessageKind.AUCTION_CLOSED, auction_id=1)
    assert _claim(outbox, "a") == [opening]
    assert _claim(outbox, "b") == []  # the result waits for the post a is sending
    assert outbox.mark_delivered(opening, T0, by="a")
    assert _claim(outbox, "b") == [result]


def test_release_lets_go_of_one_process_s_claims_or_everyone_s(outbox: SqlOutbox) -> None:
    mine = _queue(outbox, MessageKind.MODERATOR_ACTION)
    theirs = _queue(outbox, MessageKind.HOUSE_NOTICE)
    _claim(outbox, "a", limit=1)
    _claim(outbox, "b")
    assert outbox.release(by="a") == 1
    assert [m.id for m in outbox.due(T0, 50)] == [mine]
    assert outbox.release(by=None) == 1
    assert [m.id for m in outbox.due(T0, 50)] == [mine, theirs]


def test_cancel_fails_only_a_message_nobody_is_sending(outbox: SqlOutbox) -> None:
    held = _queue(outbox, MessageKind.DROP_ANNOUNCEMENT)
    free = _queue(outbox, MessageKind.DROP_ANNOUNCEMENT)
    _claim(outbox, "a", limit=1)
    assert not outbox.cancel(held, error="the drop was cancelled", at=T0)
    assert outbox.cancel(free, error="the drop was cancelled", at=T0)
    assert not outbox.cancel(free, error="the drop was cancelled", at=T0)
    assert outbox.counts().failed == 1


def test_a_lease_goes_to_one_holder_at_a_time(conn: Connection, leases: SqlLeases) -> None:
    assert leases.acquire("post-editor", by="a", now=T0, lease=LEASE)
    assert not leases.acquire("post-editor", by="b", now=T0 + LEASE / 2, lease=LEASE)
    assert leases.acquire("other-work", by="b", now=T0, lease=LEASE)  # names are separate
    # The holder extends it: still a's past the first lease's end.
    assert leases.acquire("post-editor", by="a", now=T0 + LEASE / 2, lease=LEASE)
    assert not leases.acquire("post-editor", by="b", now=T0 + LEASE, lease=LEASE)
    # a stops renewing: once it ran out, b takes it and a cannot get it back.
    later = T0 + LEASE / 2 + LEASE
    assert leases.acquire("post-editor", by="b", now=later, lease=LEASE)
    assert not leases.acquire("post-editor", by="a", now=later, lease=LEASE)
    row = conn.execute("SELECT holder, until FROM leases WHERE name = 'post-editor'").fetchone()
    assert row == ("b", to_us(later + LEASE))


def test_release_frees_a_lease_only_for_its_holder(conn: Connection, leases: SqlLeases) -> None:
    assert leases.acquire("post-editor", by="a", now=T0, lease=LEASE)
    leases.release("post-editor", by="b")
    assert not leases.acquire("post-editor", by="b", now=T0, lease=LEASE)
    leases.release("post-editor", by="a")
    assert leases.acquire("post-editor", by="b", now=T0, lease=LEASE)


def test_take_holds_a_lease_whoever_held_it(conn: Connection, leases: SqlLeases) -> None:
    assert leases.acquire("post-editor", by="crashed", now=T0, lease=LEASE)
    leases.take("post-editor", by="alone", now=T0, lease=LEASE)
    assert not leases.acquire("post-editor", by="crashed", now=T0, lease=LEASE)
    assert leases.acquire("post-editor", by="alone", now=T0, lease=LEASE)
