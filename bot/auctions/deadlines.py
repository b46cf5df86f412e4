"""Deadlines the database keeps and a timer only reminds: scheduled starts, pledge steps.

Each deadline's time is in the database. Those within ``horizon`` get a timer job; a sweep
every ``sweep_every`` reminds the ones that came within it and acts on any overdue one that
nobody reminded (the bot was down, or the process that held the job died) or whose job is
``late``. Acting must be a conditional change in one transaction, so a duplicate or
concurrent reminder, or a second process, changes nothing. A job that fails is tried again
after ``retry``, never dropped. (Closing keeps the same shape with batched closes of its
own, in ``bot/auctions/closing.py``.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.auctions.common import when
from bot.clock import Clock
from bot.ports import CloseTimer

log = logging.getLogger(__name__)

# Timer jobs are made this many at a time, then the event loop gets a turn.
JOBS_PER_TURN = 25

Job = Callable[[int], Awaitable[object]]
Remind = Callable[[int, datetime, Job], None]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of deadline: what the logs call it, and how the database is asked."""

    name: str  # "scheduled start", "settlement step"
    # The deadlines due by a time, (id, when) in order.
    due_by: Callable[[datetime], Awaitable[list[tuple[int, datetime]]]]
    # Act on one if it is due; True if something happened (False: nothing was due).
    act: Callable[[int], Awaitable[bool]]


class Deadlines:
    def __init__(
        self,
        kind: Kind,
        *,
        clock: Clock,
        sweeper: CloseTimer,
        remind: Remind | None,
        forget: Callable[[int], None] | None,
        horizon: timedelta,
        sweep_every: timedelta,
        late: timedelta = timedelta(seconds=30),
        retry: timedelta = timedelta(seconds=30),
    ) -> None:
        """``remind``/``forget`` None: no timer jobs, the sweep alone acts (at most
        ``sweep_every`` late)."""
        self._kind = kind
        self._clock = clock
        self._sweeper = sweeper
        self._remind = remind
        self._forget = forget
        self._horizon = horizon
        self._sweep_every = sweep_every
        self._late = late
        self._retry = retry
        self._reminded: set[int] = set()  # the ones with a timer job

    def remind(self, key: int, at: datetime) -> None:
        """Have the timer act at ``at``; one beyond the horizon is left to the sweep."""
        if self._remind is None:
            return
        if at - self._clock.now() > self._horizon:
            if key in self._reminded:  # it moved out of the horizon
                self.forget(key)
            return
        self._reminded.add(key)
        self._remind(key, at, self.run_job)

    def forget(self, key: int) -> None:
        self._reminded.discard(key)
        if self._forget is not None:
            self._forget(key)

    async def run_job(self, key: int) -> None:
        """What the timer runs at a deadline. A failure is retried, never dropped."""
        self._reminded.discard(key)  # the timer's job is done (a date job runs once)
        try:
            await self._kind.act(key)
        except Exception:
            retry_at = self._clock.now() + self._retry
            log.exception("%s %s failed; trying again at %s", self._kind.name, key, when(retry_at))
            self.remind(key, retry_at)

    async def resume(self, name: str) -> int:
        """At start-up: act on what fell due while the bot was down, remind what is near,
        and sweep (as the repeating job ``name``) from then on. Returns how many acted."""
        self._sweeper.repeat(name, self._sweep_every, self.sweep)
        acted = await self.sweep()
        log.info(
            "resumed %d %s timer(s); %d overdue done", len(self._reminded), self._kind.name, acted
        )
        return acted

    async def sweep(self) -> int:
        """Act on the overdue ones no job will (or did in time), remind the ones within the
        horizon that have no job. Returns how many acted."""
        now = self._clock.now()
        window = await self._kind.due_by(now + self._horizon)
        acted = 0
        for count, (key, at) in enumerate(window, 1):
            if at <= now and (key not in self._reminded or at <= now - self._late):
                try:
                    acted += await self._kind.act(key)
                except Exception:
                    log.exception(
                        "overdue %s %s failed; the next sweep retries", self._kind.name, key
                    )
            elif at > now and key not in self._reminded:
                self.remind(key, at)
            if count % JOBS_PER_TURN == 0:
                await asyncio.sleep(0)  # a start with many deadlines ahead stays responsive
        return acted
