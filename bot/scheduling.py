"""Close-time reminders on APScheduler 3. The database's end time is the truth; the
scheduler only reminds the closing use case to look. Nothing is stored in APScheduler itself:
the jobs are rebuilt from the open auctions at every start."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

CloseJob = Callable[[int], Awaitable[object]]


def job_id(auction_id: int) -> str:
    return f"auction-close:{auction_id}"


class CloseScheduler:
    """Implements ``CloseTimer``: one date job per open auction, keyed by the auction, moved when the end moves."""

    def __init__(self, scheduler: AsyncIOScheduler | None = None) -> None:
        # Built lazily in start(): APScheduler's asyncio scheduler needs a running loop.
        self._scheduler = scheduler
        self._stopped = False

    def start(self) -> None:
        if self._scheduler is None:
            self._scheduler = AsyncIOScheduler(timezone="UTC")
        if not self._scheduler.running:
            self._scheduler.start()
            self._stopped = False

    def shutdown(self) -> None:
        """Stop reminding. Idempotent: the asyncio scheduler only finishes stopping on the
        loop's next turn, so ``running`` alone cannot tell a second call apart."""
        if self._scheduler is not None and self._scheduler.running and not self._stopped:
            self._stopped = True
            self._scheduler.shutdown(wait=False)

    @property
    def _running(self) -> AsyncIOScheduler:
        if self._scheduler is None or not self._scheduler.running or self._stopped:
            raise RuntimeError("CloseScheduler.start() must be called first")
        return self._scheduler

    def remind_close(self, auction_id: int, at: datetime, job: CloseJob) -> None:
        self._remind_once(job_id(auction_id), at, job, auction_id)

    def repeat(self, name: str, every: timedelta, job: Callable[[], Awaitable[object]]) -> None:
        self._running.add_job(
            job,
            trigger="interval",
            seconds=every.total_seconds(),
            id=name,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,  # a slow sweep is not run twice at once
        )

    def remind_start(
        self, start_id: int, at: datetime, job: Callable[[int], Awaitable[object]]
    ) -> None:
        """Implements ``StartTimer``: a scheduled start (a drop's slot, a relist) at ``at``."""
        self._remind_once(f"scheduled-start:{start_id}", at, job, start_id)

    def forget_start(self, start_id: int) -> None:
        self._remove(f"scheduled-start:{start_id}")

    def remind_step(
        self, step_id: int, at: datetime, job: Callable[[int], Awaitable[object]]
    ) -> None:
        """Implements ``StepTimer``: a pledge settlement's deadline at ``at``."""
        self._remind_once(f"settlement-step:{step_id}", at, job, step_id)

    def forget_step(self, step_id: int) -> None:
        self._remove(f"settlement-step:{step_id}")

    def _remind_once(
        self, name: str, at: datetime, job: Callable[[int], Awaitable[object]], key: int
    ) -> None:
        """A date job run once at ``at``, replacing any job of the same name. It must run late
        rather than never (APScheduler's default grace is 1 s): the database decides, so a
        late reminder is still right."""
        self._running.add_job(
            job,
            trigger="date",
            run_date=at,
            args=[key],
            id=name,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    def _remove(self, name: str) -> None:
        scheduler = self._running
        if scheduler.get_job(name) is not None:
            scheduler.remove_job(name)

    def forget(self, auction_id: int) -> None:
        self._remove(job_id(auction_id))

    def next_run(self, auction_id: int) -> datetime | None:
        job = self._running.get_job(job_id(auction_id))
        return None if job is None else job.next_run_time
