"""A short test of the real APScheduler: the close job fires, moves, and runs late rather than never."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.clock import SystemClock
from bot.domain.auction import Status
from bot.scheduling import CloseScheduler
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, GUILD, MOD, SETTINGS, make_service


async def test_real_scheduler_closes_on_time_and_follows_extensions(db: SqliteStore) -> None:
    scheduler = CloseScheduler()
    scheduler.start()
    try:
        # No anti-sniping here: every bid in a 2-second auction would extend it.
        settings = replace(SETTINGS, rules=replace(SETTINGS.rules, anti_snipe_window=timedelta(0)))
        service = make_service(db, SystemClock(), scheduler, settings=settings)  # type: ignore[arg-type]
        view = await service.start_auction(GUILD, MOD, "quick", starting_bid=1, duration="1s")
        assert scheduler.next_run(view.id) == view.ends_at
        extended = await service.extend(GUILD, MOD, "quick", "1s")
        assert scheduler.next_run(view.id) == extended.ends_at
        await service.bid_on_handle(GUILD, ALICE, "quick", 5)
        async with asyncio.timeout(30):
            while (await service.get_auction(GUILD, "quick")).status is Status.OPEN:
                await asyncio.sleep(0.05)
        closed = await service.get_auction(GUILD, "quick")
        assert closed.closed_at is not None
        assert closed.closed_at >= extended.ends_at  # it did not close at the original end
        assert scheduler.next_run(view.id) is None
    finally:
        scheduler.shutdown()


async def test_a_job_whose_time_has_passed_still_runs() -> None:
    scheduler = CloseScheduler()
    scheduler.start()
    ran = asyncio.Event()

    async def job(auction_id: int) -> None:
        assert auction_id == 7
        ran.set()

    try:
        scheduler.remind_close(7, SystemClock().now() - timedelta(minutes=5), job)
        await asyncio.wait_for(ran.wait(), 30)
    finally:
        scheduler.shutdown()


def test_using_the_scheduler_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        CloseScheduler().forget(1)


async def test_a_repeated_job_runs_again_and_is_replaced_by_name() -> None:
    scheduler = CloseScheduler()
    scheduler.start()
    runs: list[str] = []
    twice = asyncio.Event()

    async def job(name: str) -> None:
        runs.append(name)
        if runs.count("second") >= 2:
            twice.set()

    async def first() -> None:
        await job("first")

    async def second() -> None:
        await job("second")

    try:
        scheduler.repeat("sweep", timedelta(hours=1), first)
        scheduler.repeat("sweep", timedelta(milliseconds=50), second)  # replaces the first
        async with asyncio.timeout(30):
            await twice.wait()
        assert "first" not in runs
    finally:
        scheduler.shutdown()
