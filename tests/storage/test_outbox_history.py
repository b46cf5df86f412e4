"""The outbox's delivered history: pending-message queries never read it, and pruning
deletes only what is finished and old enough."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.delivery.pruning import HistoryPruner
from bot.domain.messages import MessageKind
from bot.storage.sql.codec import to_us
from bot.storage.sql.outbox import SqlOutbox
from bot.storage.sqlite.dialect import SqliteDialect
from bot.storage.sqlite.schema import bundled_migrations, migrate
from bot.storage.sqlite.store import SqliteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def conn() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    migrate(connection)
    connection.execute(
        "INSERT INTO auctions (id, guild_id, handle_key, handle_display, platform, starting_bid,"
        " increment_absolute, increment_percent, anti_snipe_window_us, anti_snipe_extension_us,"
        " max_extensions, opened_by, opened_at, ends_at) VALUES (1, 1, 'og', '@og', 'x', 1, 1,"
        " 0, 0, 0, 0, 1, 0, 0)"
    )
    return connection


def _add(
    conn: sqlite3.Connection,
    *,
    kind: str = "outbid",
    auction_id: int | None = None,
    created: datetime = T0,
    delivered: datetime | None = None,
    failed: datetime | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO outbox (guild_id, auction_id, kind, payload, created_at, next_attempt_at,"
        " delivered_at, failed_at) VALUES (1, ?, ?, '{}', ?, ?, ?, ?)",
        (
            auction_id, kind, to_us(created), to_us(created),
            None if delivered is None else to_us(delivered),
            None if failed is None else to_us(failed),
        ),
    )  # fmt: skip
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def test_pending_queries_read_pending_rows_through_their_indexes(
    conn: sqlite3.Connection,
) -> None:
    # The planner's choice depends on the data; with a long delivered history in front of a
    # few pending rows, a walk in id order would read the whole history.
    for _ in range(2_000):
        _add(conn, delivered=T0)
    _add(conn, kind="auction_opened", auction_id=1)
    _add(conn, auction_id=1)
    conn.execute("ANALYZE")
    traced: list[str] = []
    conn.set_trace_callback(traced.append)
    outbox = SqlOutbox(conn, SqliteDialect())
    assert [m.kind for m in outbox.due(T0, 50)] == [MessageKind.AUCTION_OPENED]
    assert outbox.next_due_at() == T0
    conn.set_trace_callback(None)
    assert len(traced) == 2
    for sql in traced:
        steps = _plan(conn, sql, ())
        assert not any(step.startswith("SCAN") for step in steps), steps
        assert any(re.search(r"USING INDEX outbox_pending\b(?!_)", step) for step in steps)
        assert any("USING INDEX outbox_pending_openings" in step for step in steps), steps


def test_prune_deletes_only_finished_messages_older_than_the_cutoff(
    conn: sqlite3.Connection,
) -> None:
    old, recent = T0, T0 + timedelta(days=40)
    cutoff = T0 + timedelta(days=30)
    # In creation order, as ids are given.
    kept = {
        _add(conn, created=old),  # pending, however old
        _add(conn, created=old, delivered=recent),  # finished after the cutoff
    }
    gone = {_add(conn, created=old, delivered=old + timedelta(hours=1)) for _ in range(7)}
    gone |= {_add(conn, created=old, failed=old)}
    kept |= {
        _add(conn, created=recent, delivered=recent),
        _add(conn, created=recent, failed=recent),
        _add(conn, created=recent),  # pending, after the cutoff
    }
    outbox = SqlOutbox(conn, SqliteDialect())
    total, start, calls = 0, None, 0
    while True:
        deleted, start = outbox.prune(cutoff, from_id=start, chunk=3)
        total += deleted
        calls += 1
        if start is None:
            break
    assert total == len(gone)
    assert calls <= 5  # walks the ids in chunks and stops at rows created after the cutoff
    remaining = {row[0] for row in conn.execute("SELECT id FROM outbox")}
    assert remaining == kept


def test_prune_steps_over_gaps_in_the_ids(conn: sqlite3.Connection) -> None:
    old = T0
    _add(conn, created=old, delivered=old)
    conn.execute(
        "INSERT INTO outbox (id, guild_id, kind, payload, created_at, next_attempt_at,"
        " delivered_at) VALUES (1000000, 1, 'outbid', '{}', ?, ?, ?)",
        (to_us(old), to_us(old), to_us(old)),
    )
    outbox = SqlOutbox(conn, SqliteDialect())
    first = outbox.prune(old + timedelta(days=1), from_id=None, chunk=10)
    assert first == (1, 1_000_000)  # the next chunk starts at the next row, not at id 11
    assert outbox.prune(old + timedelta(days=1), from_id=1_000_000, chunk=10) == (1, None)


def test_prune_of_an_empty_outbox(conn: sqlite3.Connection) -> None:
    assert SqlOutbox(conn, SqliteDialect()).prune(T0, from_id=None, chunk=10) == (0, None)


async def test_the_pruner_keeps_pending_and_recent_messages(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "a.db")
    clock = ManualClock(T0)
    try:

        def seed(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN")
            for i in range(25):
                _add(conn, created=T0 + timedelta(minutes=i), delivered=T0 + timedelta(minutes=i))
            _add(conn, created=T0)
            conn.execute("COMMIT")

        await store.on_connection(seed)
        clock.advance(timedelta(days=2, minutes=10))  # ten of them finished more than two days ago
        pruner = HistoryPruner(store, clock, timedelta(days=2), chunk=4)
        assert await pruner.prune_once() == 10
        assert await pruner.prune_once() == 0
        counts = await store.read(lambda uow: uow.outbox.counts())
        assert (counts.pending, counts.delivered) == (1, 15)
    finally:
        await store.close()


def test_migration_0007_merges_waiting_duplicate_outbid_dms() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    migrations = bundled_migrations()
    migrate(connection, [m for m in migrations if m.version < 7])
    connection.execute(
        "INSERT INTO auctions (id, guild_id, handle_key, handle_display, platform, starting_bid,"
        " increment_absolute, increment_percent, anti_snipe_window_us, anti_snipe_extension_us,"
        " max_extensions, opened_by, opened_at, ends_at) VALUES (1, 1, 'og', '@og', 'x', 1, 1,"
        " 0, 0, 0, 0, 1, 0, 0)"
    )
    for user, delivered in ((5, None), (5, None), (6, None), (5, None), (5, 1)):
        connection.execute(
            "INSERT INTO outbox (guild_id, auction_id, kind, payload, created_at,"
            " next_attempt_at, delivered_at) VALUES (1, 1, 'outbid', ?, 0, 0, ?)",
            (f'{{"user_id": {user}}}', delivered),
        )
    migrate(connection, migrations)
    rows = connection.execute(
        "SELECT id, delivered_at IS NULL AND failed_at IS NULL, last_error FROM outbox ORDER BY id"
    ).fetchall()
    merged = "merged into an earlier pending outbid DM"
    assert rows == [(1, 1, None), (2, 0, merged), (3, 1, None), (4, 0, merged), (5, 0, None)]
