"""Each interaction takes effect once: a write under an interaction's key claims it in the
write's own transaction, and a second write under the same key changes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.delivery.pruning import HistoryPruner
from bot.domain.errors import AlreadyHandled, InvalidInput
from bot.domain.events import AuctionStillRunning, Event
from bot.domain.records import AuditEntry
from bot.interactions import handling
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def record(actor: int) -> object:
    def transaction(uow: UnitOfWork) -> int:
        uow.audit.record(AuditEntry(1, None, actor, "x", "", None, CREATED))
        return actor

    return transaction


async def audit_actors(db: SqliteStore) -> list[int]:
    rows = await db.on_connection(
        lambda c: c.execute("SELECT actor_id FROM audit_log ORDER BY id").fetchall()
    )
    return [r[0] for r in rows]


async def keys(db: SqliteStore) -> list[tuple[int, int]]:
    return await db.on_connection(
        lambda c: c.execute(
            "SELECT interaction_id, seq FROM interaction_writes ORDER BY 1, 2"
        ).fetchall()
    )


async def test_the_same_interaction_delivered_twice_writes_once(db: SqliteStore) -> None:
    with handling(42, CREATED) as first:
        assert await db.write(record(1)) == 1
    assert first.took_effect
    with handling(42, CREATED) as second, pytest.raises(AlreadyHandled):
        await db.write(record(2))
    assert not second.took_effect
    assert await audit_actors(db) == [1]
    assert await keys(db) == [(42, 1)]


async def test_every_write_of_an_interaction_has_its_own_key(db: SqliteStore) -> None:
    with handling(42, CREATED):
        await db.write(record(1))
        await db.write(record(2))  # seq 2: not the first write's key
    with handling(43, CREATED):
        await db.write(record(3))  # another interaction
    await db.write(record(4))  # no interaction: no key, as before
    await db.write(record(5))
    assert await audit_actors(db) == [1, 2, 3, 4, 5]
    assert await keys(db) == [(42, 1), (42, 2), (43, 1)]


async def test_copies_in_one_batch_write_once(db: SqliteStore) -> None:
    # Two processes' copies may land in one group-committed batch (here: one process).
    async def deliver(actor: int) -> int:
        with handling(42, CREATED):
            return await db.write(record(actor))

    outcomes = await asyncio.gather(deliver(1), deliver(2), return_exceptions=True)
    assert outcomes[0] == 1
    assert isinstance(outcomes[1], AlreadyHandled)
    assert await audit_actors(db) == [1]


async def test_a_refusal_keeps_its_key_and_undoes_its_changes(db: SqliteStore) -> None:
    # The refusal was the interaction's answer: a copy must not be applied later, against a
    # state that may have changed since (and answered a second time).
    def refused(uow: UnitOfWork) -> None:
        uow.audit.record(AuditEntry(1, None, 9, "x", "", None, CREATED))
        raise InvalidInput("no")

    with handling(42, CREATED) as first, pytest.raises(InvalidInput):
        await db.write(refused)
    assert first.took_effect  # its answer, the refusal, is the one the member sees
    with handling(42, CREATED), pytest.raises(AlreadyHandled):
        await db.write(record(2))
    assert await audit_actors(db) == []
    assert await keys(db) == [(42, 1)]


async def test_a_failure_gives_its_key_back(db: SqliteStore) -> None:
    # A bug or a storage error is no answer: the key goes with the rest of the write.
    def broken(uow: UnitOfWork) -> None:
        uow.audit.record(AuditEntry(1, None, 9, "x", "", None, CREATED))
        raise RuntimeError("bug")

    with handling(42, CREATED) as first, pytest.raises(RuntimeError):
        await db.write(broken)
    assert not first.took_effect
    with handling(42, CREATED):
        assert await db.write(record(2)) == 2
    assert await audit_actors(db) == [2]


async def test_a_refused_copy_leaves_the_other_writes_of_its_batch_alone(
    db: SqliteStore,
) -> None:
    with handling(42, CREATED):
        await db.write(record(1))

    async def copy() -> int:
        with handling(42, CREATED):
            return await db.write(record(2))

    outcomes = await asyncio.gather(
        db.write(record(3)), copy(), db.write(record(4)), return_exceptions=True
    )
    assert outcomes[0] == 3 and outcomes[2] == 4
    assert isinstance(outcomes[1], AlreadyHandled)
    assert await audit_actors(db) == [1, 3, 4]


async def test_work_started_by_a_writes_events_carries_no_key(db: SqliteStore) -> None:
    # The writer task is started by the first write, inside the interaction: what its
    # subscribers start (the post editor, the outbox) must not inherit that interaction.
    followers: list[asyncio.Task[int]] = []

    def publish(events: list[Event]) -> None:
        followers.append(asyncio.get_running_loop().create_task(db.write(record(7))))

    db.publish_to(publish)

    def noted(uow: UnitOfWork) -> None:
        uow.record(AuctionStillRunning(1, None))  # type: ignore[arg-type]

    with handling(42, CREATED):
        await db.write(noted)
    assert await asyncio.gather(*followers) == [7]
    assert await keys(db) == [(42, 1)]


async def test_the_key_survives_a_restart(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    with handling(42, CREATED):
        await store.write(record(1))
    await store.close()
    store = await SqliteStore.open(db_path)
    try:
        with handling(42, CREATED), pytest.raises(AlreadyHandled):
            await store.write(record(2))
    finally:
        await store.close()


async def test_keys_older_than_a_day_are_pruned(db: SqliteStore) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(10):
        with handling(100 + n, now - timedelta(days=2)):
            await db.write(record(n))
    with handling(500, now - timedelta(hours=1)):
        await db.write(record(99))
    pruner = HistoryPruner(db, ManualClock(now), timedelta(days=7), chunk=3)
    assert await pruner.prune_interaction_keys() == 10
    assert await keys(db) == [(500, 1)]
    assert await pruner.prune_interaction_keys() == 0
