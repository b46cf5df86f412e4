"""The group-committing write lane: cancelled callers and writers, events after COMMIT."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bot.domain.events import AuctionStillRunning, Event
from bot.domain.records import AuditEntry
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork


@pytest.fixture
def store_kind() -> str:
    """About SQLite alone: its behaviour on a full disk, its write lane, its cache."""
    return "sqlite"


async def rows(db: SqliteStore, sql: str) -> list[tuple[object, ...]]:
    return await db.on_connection(lambda c: c.execute(sql).fetchall())


async def test_a_write_whose_caller_left_before_it_ran_is_not_made(db: SqliteStore) -> None:
    blocker = asyncio.ensure_future(db.on_connection(lambda c: time.sleep(0.2)))
    await asyncio.sleep(0.05)  # the writer is busy with the blocker
    entry = AuditEntry(1, None, 1, "x", "", None, datetime(2026, 1, 1, tzinfo=UTC))
    late = asyncio.ensure_future(db.write(lambda uow: uow.audit.record(entry)))
    await asyncio.sleep(0)
    late.cancel()
    await blocker
    await db.write(lambda uow: None)  # a write queued after it: the late one's turn has passed
    assert await rows(db, "SELECT COUNT(*) FROM audit_log") == [(0,)]


async def test_writes_in_flight_survive_a_cancelled_writer(db: SqliteStore) -> None:
    def write(n: int) -> asyncio.Future[int]:
        entry = AuditEntry(1, None, n, "x", "", None, datetime(2026, 1, 1, tzinfo=UTC))

        def transaction(uow: UnitOfWork) -> int:
            uow.audit.record(entry)
            return n

        return asyncio.ensure_future(db.write(transaction))

    writes = [write(n) for n in range(20)]
    for _ in range(3):  # let the writer pick up its first batch
        await asyncio.sleep(0)
    assert db._writer is not None
    db._writer.cancel()  # as at shutdown
    await db.close()  # finishes the batch in flight and drains what was still queued
    assert await asyncio.gather(*writes) == list(range(20))


async def test_events_are_published_after_commit_and_dropped_with_a_rollback(
    db: SqliteStore,
) -> None:
    published: list[Event] = []
    db.publish_to(published.extend)

    def ok(uow: UnitOfWork) -> str:
        uow.record(AuctionStillRunning(1, None))  # type: ignore[arg-type]
        return "ok"

    def refused(uow: UnitOfWork) -> None:
        uow.record(AuctionStillRunning(2, None))  # type: ignore[arg-type]
        raise ValueError("refused")

    results = await asyncio.gather(db.write(ok), db.write(refused), return_exceptions=True)
    assert results[0] == "ok"
    assert isinstance(results[1], ValueError)
    assert [e.auction_id for e in published] == [1]  # type: ignore[attr-defined]
