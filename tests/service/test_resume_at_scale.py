"""Closing and posts at a community's scale: only auctions ending within the horizon have a
timer job, a sweep reminds the rest as they come within it, overdue auctions close in
batches, and after a restart only posts that missed a change are edited."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta

from bot.auctions.closing import CLOSE_BATCH, HORIZON, JOBS_PER_TURN, LATE, SWEEP_EVERY
from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.domain.auction import Status
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, BOB, GUILD, MOD, make_service, sqlite_only
from tests.fakes import CloseJob, RecordingTimer


async def _start(service: AuctionHouse, handle: str, duration: str) -> int:
    view = await service.start_auction(GUILD, MOD, handle, starting_bid=1, duration=duration)
    return view.id


async def test_only_auctions_within_the_horizon_have_a_timer_job(
    db: SqliteStore, clock: ManualClock
) -> None:
    reminders = RecordingTimer()
    service = make_service(db, clock, reminders)
    soon = await _start(service, "soon", "30m")
    later = await _start(service, "later", "3h")
    assert set(reminders.jobs) == {soon}
    await service.resume()
    every, sweep = reminders.repeating["close-sweep"]
    assert every == SWEEP_EVERY
    assert set(reminders.jobs) == {soon}
    clock.advance(timedelta(hours=3) - HORIZON)  # "later" now ends exactly at the horizon
    await sweep()
    assert reminders.at(later) == (await service.get_by_id(later)).ends_at


async def test_an_end_moved_beyond_the_horizon_drops_the_job_until_the_sweep(
    db: SqliteStore, clock: ManualClock
) -> None:
    reminders = RecordingTimer()
    service = make_service(db, clock, reminders)
    auction_id = await _start(service, "og", "30m")
    await service.extend(GUILD, MOD, "og", "2h")
    assert auction_id not in reminders.jobs
    clock.advance(timedelta(hours=2))
    await service.resume()
    assert reminders.at(auction_id) == (await service.get_by_id(auction_id)).ends_at


async def test_the_sweep_closes_an_auction_whose_job_was_lost(
    db: SqliteStore, clock: ManualClock
) -> None:
    reminders = RecordingTimer()
    service = make_service(db, clock, reminders)
    await service.resume()
    _, sweep = reminders.repeating["close-sweep"]
    auction_id = await _start(service, "og", "10m")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    reminders.jobs.clear()  # the job never runs
    clock.advance(timedelta(minutes=10) + LATE)
    assert await sweep() == 1
    closed = await service.get_by_id(auction_id)
    assert closed.status is Status.CLOSED and closed.winner_id == ALICE.user_id
    assert await sweep() == 0  # closed once


async def test_a_reminded_auction_is_left_to_its_job_by_the_sweep(
    db: SqliteStore, clock: ManualClock
) -> None:
    reminders = RecordingTimer()
    service = make_service(db, clock, reminders)
    await service.resume()
    auction_id = await _start(service, "og", "10m")
    clock.advance(timedelta(minutes=10))
    _, sweep = reminders.repeating["close-sweep"]
    assert await sweep() == 0  # its job closes it (it is not LATE yet)
    _, job = reminders.jobs[auction_id]
    await job(auction_id)
    assert (await service.get_by_id(auction_id)).status is Status.CLOSED


@sqlite_only  # it counts COMMITs in SQLite's statement trace
async def test_overdue_auctions_close_in_batches_each_once(
    db: SqliteStore, clock: ManualClock
) -> None:
    first = make_service(db, clock, RecordingTimer())
    count = CLOSE_BATCH * 2 + 17
    for n in range(count):
        await _start(first, f"h{n}", "10m")
    running = await _start(first, "running", "1h")
    clock.advance(timedelta(minutes=20))
    commits: list[str] = []
    await db.on_connection(lambda c: c.set_trace_callback(commits.append))
    reminders = RecordingTimer()
    restarted = make_service(db, clock, reminders)
    try:
        assert await restarted.resume() == count
    finally:
        await db.on_connection(lambda c: c.set_trace_callback(None))
    assert sum(sql.strip().upper() == "COMMIT" for sql in commits) == 3  # 200 + 200 + 17

    def counts(conn: sqlite3.Connection) -> tuple[int, int]:
        row = conn.execute(
            "SELECT COUNT(*) FILTER (WHERE status = 'closed'),"
            " (SELECT COUNT(*) FROM outbox WHERE kind = 'auction_closed') FROM auctions"
        ).fetchone()
        return row[0], row[1]

    assert await db.on_connection(counts) == (count, count)
    assert set(reminders.jobs) == {running}


async def test_after_a_restart_only_posts_that_missed_a_change_are_behind(
    db: SqliteStore, clock: ManualClock
) -> None:
    service = make_service(db, clock, RecordingTimer())
    shown = await _start(service, "shown", "1h")
    missed = await _start(service, "missed", "1h")
    await _start(service, "unposted", "1h")
    for auction_id in (shown, missed):
        await service.record_post(auction_id, 5, 1000 + auction_id)
    await service.bid_on_handle(GUILD, ALICE, "shown", 5)
    await service.bid_on_handle(GUILD, BOB, "missed", 5)
    view = await service.get_by_id(shown)
    await service.record_post_current(shown, view.revision)  # the editor showed the bid
    assert await service.posts_behind() == [missed]
    await service.bid_on_handle(GUILD, ALICE, "missed", 20)
    await service.record_post_current(missed, (await service.get_by_id(missed)).revision)
    await service.record_post_current(missed, 0)  # an older rendering never wins
    assert await service.posts_behind() == []
    await service.bid_on_handle(GUILD, ALICE, "unposted", 5)
    clock.advance(timedelta(hours=1) + LATE)
    await service.resume()  # closing changes what a post shows
    assert sorted(await service.posts_behind()) == [shown, missed]


class _TurnTimer(RecordingTimer):
    """Notes how many turns the event loop had taken when each job was made."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0
        self.made_at_turn: list[int] = []

    def remind_close(self, auction_id: int, at: datetime, job: CloseJob) -> None:
        self.made_at_turn.append(self.turns)
        super().remind_close(auction_id, at, job)


async def test_a_start_with_many_auctions_ending_soon_lets_the_event_loop_run_between_jobs(
    db: SqliteStore, clock: ManualClock
) -> None:
    # Making a timer job is slow in APScheduler (it inspects the callable and wakes the
    # scheduler): hundreds in one go would block the loop that answers Discord.
    first = make_service(db, clock, RecordingTimer())
    count = JOBS_PER_TURN * 3 + 5
    for n in range(count):
        await _start(first, f"h{n}", "30m")
    timer = _TurnTimer()
    restarted = make_service(db, clock, timer)

    async def turn() -> None:
        while True:
            await asyncio.sleep(0)
            timer.turns += 1

    ticking = asyncio.create_task(turn())
    try:
        await restarted.resume()
    finally:
        ticking.cancel()
    assert len(timer.jobs) == count
    per_turn = [timer.made_at_turn.count(t) for t in set(timer.made_at_turn)]
    assert max(per_turn) <= JOBS_PER_TURN
    assert len(per_turn) >= 4
