"""The deadline keeper that scheduled starts and pledge steps share: the database's times
decide, timer jobs only remind, the sweep catches what no job will."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.auctions.deadlines import Deadlines, Job, Kind
from bot.clock import ManualClock
from tests.fakes import RecordingTimer

HOUR = timedelta(hours=1)


class Book:
    """Deadlines as the database would hold them; acting removes one (a conditional change)."""

    def __init__(self, clock: ManualClock, due: dict[int, datetime]) -> None:
        self.clock = clock
        self.due = due
        self.acted: list[int] = []
        self.failing: set[int] = set()

    async def due_by(self, until: datetime) -> list[tuple[int, datetime]]:
        return sorted(((k, at) for k, at in self.due.items() if at <= until), key=lambda p: p[1])

    async def act(self, key: int) -> bool:
        if key in self.failing:
            raise RuntimeError("database busy")
        at = self.due.get(key)
        if at is None or at > self.clock.now():
            return False
        del self.due[key]
        self.acted.append(key)
        return True


class Jobs:
    def __init__(self) -> None:
        self.jobs: dict[int, tuple[datetime, Job]] = {}

    def remind(self, key: int, at: datetime, job: Job) -> None:
        self.jobs[key] = (at, job)

    def forget(self, key: int) -> None:
        self.jobs.pop(key, None)


def keeper(book: Book, jobs: Jobs | None, sweeper: RecordingTimer) -> Deadlines:
    return Deadlines(
        Kind("test deadline", book.due_by, book.act),
        clock=book.clock,
        sweeper=sweeper,
        remind=jobs.remind if jobs else None,
        forget=jobs.forget if jobs else None,
        horizon=HOUR,
        sweep_every=timedelta(seconds=30),
    )


async def test_resume_acts_on_the_overdue_and_reminds_only_those_within_the_horizon() -> None:
    clock = ManualClock()
    now = clock.now()
    book = Book(clock, {1: now - HOUR, 2: now + timedelta(minutes=5), 3: now + 3 * HOUR})
    jobs, sweeper = Jobs(), RecordingTimer()
    deadlines = keeper(book, jobs, sweeper)
    assert await deadlines.resume("test-sweep") == 1
    assert book.acted == [1]
    assert set(jobs.jobs) == {2}
    assert "test-sweep" in sweeper.repeating
    # Deadline 3 comes within the horizon: the next sweep reminds it, and its job acts once.
    clock.advance(2 * HOUR + timedelta(minutes=1))
    assert await deadlines.sweep() == 1  # deadline 2's job never ran: the sweep acts on it
    assert set(jobs.jobs) == {2, 3}
    clock.advance(HOUR)
    await jobs.jobs[3][1](3)
    assert book.acted == [1, 2, 3]
    assert await deadlines.sweep() == 0


async def test_a_reminded_deadline_is_left_to_its_job_until_it_is_late() -> None:
    clock = ManualClock()
    book = Book(clock, {7: clock.now() + timedelta(minutes=1)})
    jobs = Jobs()
    deadlines = keeper(book, jobs, RecordingTimer())
    await deadlines.sweep()
    clock.advance(timedelta(minutes=1, seconds=10))
    assert await deadlines.sweep() == 0 and book.acted == []  # its job is about to run
    clock.advance(timedelta(seconds=30))
    assert await deadlines.sweep() == 1 and book.acted == [7]  # the job was lost


async def test_a_failed_job_is_reminded_again_never_dropped() -> None:
    clock = ManualClock()
    book = Book(clock, {5: clock.now() + timedelta(seconds=1)})
    jobs = Jobs()
    deadlines = keeper(book, jobs, RecordingTimer())
    await deadlines.sweep()
    clock.advance(timedelta(seconds=2))
    book.failing.add(5)
    await jobs.jobs[5][1](5)
    assert jobs.jobs[5][0] == clock.now() + timedelta(seconds=30)
    book.failing.clear()
    clock.advance(timedelta(seconds=30))
    await jobs.jobs[5][1](5)
    assert book.acted == [5]


async def test_without_a_timer_the_sweep_alone_acts() -> None:
    clock = ManualClock()
    book = Book(clock, {1: clock.now() + timedelta(minutes=1)})
    deadlines = keeper(book, None, RecordingTimer())
    deadlines.remind(1, clock.now() + timedelta(minutes=1))  # nothing to remind with
    assert await deadlines.sweep() == 0
    clock.advance(timedelta(minutes=1))
    assert await deadlines.sweep() == 1
