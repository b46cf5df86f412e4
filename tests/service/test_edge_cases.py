"""Edge cases of the use cases: failures after a commit, cancelled callers, limits of
amounts, audit reasons."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.auctions.closing import CLOSE_RETRY
from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core
from bot.clock import ManualClock
from bot.domain.errors import BidRefused, NothingToVoid
from bot.domain.events import BidAccepted
from bot.domain.money import Currency
from bot.storage.sql.auctions import SqlAuctions
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, BOB, GUILD, INTEGRITY_ERRORS, MOD, SETTINGS, make_service
from tests.fakes import RecordingTimer


async def rows(db: SqliteStore, sql: str) -> list[tuple[object, ...]]:
    return await db.on_connection(lambda c: c.execute(sql).fetchall())


async def test_a_failing_subscriber_does_not_turn_a_committed_bid_into_an_error(
    core: Core, db: SqliteStore
) -> None:
    def broken(_: BidAccepted) -> None:
        raise RuntimeError("subscriber bug")

    core.bus.subscribe(BidAccepted, broken)
    service = core.house
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    receipt = await service.bid_on_handle(GUILD, ALICE, "og", 5)
    assert receipt.auction.price == 5
    assert await rows(db, "SELECT COUNT(*) FROM bids") == [(1,)]


async def test_a_cancelled_caller_still_gets_its_auction_scheduled(
    service: AuctionHouse,
    reminders: RecordingTimer,
    db: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add = SqlAuctions.add
    inserting, release = threading.Event(), threading.Event()

    def slow_add(*args: Any, **kwargs: Any) -> Any:
        auction = add(*args, **kwargs)
        inserting.set()
        release.wait(30)  # on the database thread: the caller gives up meanwhile
        return auction

    monkeypatch.setattr(SqlAuctions, "add", slow_add)
    task = asyncio.create_task(
        service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    )
    try:
        async with asyncio.timeout(30):
            while not inserting.is_set():
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        release.set()
    async with asyncio.timeout(30):
        while 1 not in reminders.jobs:  # the follow-up runs although nobody is waiting
            await asyncio.sleep(0.01)
    assert await rows(db, "SELECT id FROM auctions") == [(1,)]


async def test_a_failed_close_job_is_tried_again(
    service: AuctionHouse,
    reminders: RecordingTimer,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1m")
    clock.advance(timedelta(minutes=2))

    async def busy(_: int) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(service.closing, "close_if_due", busy)
    _, job = reminders.jobs[view.id]
    await job(view.id)
    assert reminders.at(view.id) == clock.now() + CLOSE_RETRY
    monkeypatch.undo()
    await reminders.jobs[view.id][1](view.id)
    assert not (await service.get_auction(GUILD, "og")).is_open


async def test_no_bid_is_possible_above_the_maximum_amount(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    settings = replace(SETTINGS, currency=Currency(max_amount=1000))
    service = make_service(db, clock, reminders, settings=settings)
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 1000)
    with pytest.raises(BidRefused, match="highest price allowed"):
        await service.bid_on_handle(GUILD, BOB, "og", 1000)


async def test_void_one_bid_by_id(service: AuctionHouse, db: SqliteStore) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    first = await service.bid_on_handle(GUILD, ALICE, "og", 100)
    await service.bid_on_handle(GUILD, BOB, "og", 200)
    third = await service.bid_on_handle(GUILD, ALICE, "og", 300)
    receipt = await service.void_bids(GUILD, MOD, "og", ALICE.user_id, "typo", bid_id=third.bid_id)
    assert receipt.voided == 1
    assert (receipt.auction.leader_id, receipt.auction.price) == (BOB.user_id, 200)
    with pytest.raises(NothingToVoid, match=f"bid #{first.bid_id + 1}"):
        await service.void_bids(GUILD, MOD, "og", ALICE.user_id, "x", bid_id=first.bid_id + 1)
    with pytest.raises(INTEGRITY_ERRORS, match="stays voided"):
        await db.on_connection(lambda c: c.execute("UPDATE bids SET voided_at = NULL"))


async def test_end_and_extend_record_an_optional_reason(
    service: AuctionHouse, db: SqliteStore
) -> None:
    await service.start_auction(GUILD, MOD, "a", starting_bid=1, duration="1h")
    await service.start_auction(GUILD, MOD, "b", starting_bid=1, duration="1h")
    await service.extend(GUILD, MOD, "a", "10m", reason="slow start")
    await service.end_now(GUILD, MOD, "b", reason="sold privately")
    await service.end_now(GUILD, MOD, "a")
    assert await rows(db, "SELECT action, reason FROM audit_log WHERE action IN ('extend', 'end') ORDER BY id") == [
        ("extend", "slow start"), ("end", "sold privately"), ("end", None),
    ]  # fmt: skip
