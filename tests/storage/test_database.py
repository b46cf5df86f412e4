from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.records import AuditEntry
from bot.ports import StartupError
from bot.storage.sqlite.schema import Migration, bundled_migrations, migrate
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import Transaction, UnitOfWork
from tests.conftest import INTEGRITY_ERRORS, sqlite_only


def entry(actor: int) -> AuditEntry:
    return AuditEntry(1, None, actor, "x", "", None, datetime(2026, 1, 1, tzinfo=UTC))


@sqlite_only
async def test_fresh_database_is_migrated_in_wal_mode_with_foreign_keys(
    db: SqliteStore, db_path: Path
) -> None:
    assert await db.on_connection(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"
    assert await db.on_connection(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0]) == 1
    version = await db.on_connection(lambda c: c.execute("PRAGMA user_version").fetchone()[0])
    assert version == bundled_migrations()[-1].version
    tables = await db.on_connection(
        lambda c: {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    )
    assert {"auctions", "bids", "sold_handles", "audit_log", "outbox"} <= tables


async def test_reopening_does_not_migrate_again(db_path: Path) -> None:
    first = await SqliteStore.open(db_path)
    await first.write(lambda uow: uow.audit.record(entry(2)))
    await first.close()
    second = await SqliteStore.open(db_path)
    count = await second.on_connection(
        lambda c: c.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    )
    await second.close()
    assert count == 1


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER);\nTHIS IS NOT SQL;")
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, [good, bad])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert (
        conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('a', 'b')").fetchone()[0]
        == 0
    )
    assert migrate(conn, [good]) == 1


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "n.db", isolation_level=None)
    conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StartupError, match="newer than this bot knows"):
        migrate(conn)


async def test_bids_are_append_only(db: SqliteStore) -> None:
    def setup(c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO auctions (id, guild_id, handle_key, handle_display, platform, starting_bid,"
            " increment_absolute, increment_percent, anti_snipe_window_us, anti_snipe_extension_us,"
            " max_extensions, opened_by, opened_at, ends_at) VALUES (1, 1, 'og', 'og', 'x', 1, 1, 0, 0, 0, 0, 1, 0, 10)"
        )
        c.execute(
            "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after, leader_after)"
            " VALUES (1, 5, 10, 10, 1, 10, 5)"
        )

    await db.on_connection(setup)
    with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
        await db.on_connection(lambda c: c.execute("DELETE FROM bids"))
    with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
        await db.on_connection(lambda c: c.execute("UPDATE bids SET amount = 1"))
    # Marking a bid voided is allowed.
    await db.on_connection(lambda c: c.execute("UPDATE bids SET voided_at = 5, void_reason = 'x'"))
    assert await db.on_connection(
        lambda c: c.execute("SELECT amount, voided_at FROM bids").fetchone()
    ) == (
        10,
        5,
    )


async def test_one_failing_write_in_a_batch_leaves_the_others(db: SqliteStore) -> None:
    def insert(n: int) -> Transaction[int]:
        def transaction(uow: UnitOfWork) -> int:
            uow.audit.record(entry(n))
            if n == 3:
                raise ValueError("refused")
            return n

        return transaction

    results = await asyncio.gather(*(db.write(insert(n)) for n in range(6)), return_exceptions=True)
    assert [r for r in results if isinstance(r, int)] == [0, 1, 2, 4, 5]
    assert isinstance(results[3], ValueError)
    actors = await db.on_connection(
        lambda c: [r[0] for r in c.execute("SELECT actor_id FROM audit_log ORDER BY id")]
    )
    assert sorted(actors) == [0, 1, 2, 4, 5]  # PostgreSQL commits them in any order


@sqlite_only  # PostgreSQL's counterpart: tests/storage/test_postgres.py
async def test_an_acknowledged_write_is_visible_to_another_connection(
    db: SqliteStore, db_path: Path
) -> None:
    await db.write(lambda uow: uow.audit.record(entry(7)))
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("SELECT actor_id FROM audit_log").fetchall() == [(7,)]
    finally:
        other.close()


async def test_writes_after_close_are_refused(db_path: Path) -> None:
    database = await SqliteStore.open(db_path)
    await database.close()
    with pytest.raises(RuntimeError, match="closed"):
        await database.write(lambda uow: None)
