"""Holds a named lease in the database for work one process at a time may do, renewing it
while the process lives; another process takes it over once its holder stops renewing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.unit_of_work import Store

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class LeaseKeeper:
    """Asks for the lease every ``lease / 3`` (held: extended; free or run out: taken), so a
    holder that misses a renewal or two still keeps it, and one that died loses it within
    ``lease``.

    ``alone`` says this process is the only one (``[discord] processes = 1``): it takes the
    lease at start even if a run before it died holding it, since nobody else can be editing.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        name: str,
        holder: str,
        lease: timedelta,
        alone: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self.name = name
        self.holder = holder
        self.lease = lease
        self._alone = alone
        self._on_gained: Job | None = None
        self._on_held: Job | None = None
        self._until: datetime | None = None  # when the lease this process won runs out
        self._taken = False
        self._task: asyncio.Task[None] | None = None

    def on_gained(self, job: Job) -> None:
        """Run ``job`` each time the lease is won after the first try (taking over)."""
        self._on_gained = job

    def on_held(self, job: Job) -> None:
        """Run ``job`` after each renewal while the lease stays held."""
        self._on_held = job

    @property
    def held(self) -> bool:
        """Whether this process holds the lease: it won it last time it asked, and the lease
        it won then has not run out (a renewal the database did not take may have let
        another process in since)."""
        return self._until is not None and self._clock.now() < self._until

    async def start(self) -> None:
        """Try once now (so a lone process holds the lease before it does any work), then
        keep renewing in the background."""
        try:
            await self._ask()
        except Exception:  # the next renewal tries again
            log.exception("could not ask for the %s lease", self.name)
        if not self.held:
            log.info("another process holds the %s lease; %s waits", self.name, self.holder)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._keep(), name=f"lease:{self.name}")

    async def stop(self) -> None:
        """Stop renewing and let go, so another process takes over at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._until is not None:
            self._until = None
            try:
                await self._store.write(lambda uow: uow.leases.release(self.name, by=self.holder))
            except Exception:  # it runs out on its own
                log.exception("could not let go of the %s lease", self.name)

    async def _keep(self) -> None:
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.renew()
            except Exception:
                # The database is busy or down: the lease may run out, and then the work
                # waits until a renewal succeeds.
                log.exception("could not renew the %s lease", self.name)

    async def renew(self) -> bool:
        """Take or extend the lease once; whether this process holds it now. Winning it
        (taking over) runs ``on_gained``; keeping it runs ``on_held``."""
        was_held = self.held
        held = await self._ask()
        if held and not was_held:
            log.info("%s took over the %s lease", self.holder, self.name)
            if self._on_gained is not None:
                await self._on_gained()
        elif held:
            if self._on_held is not None:
                await self._on_held()
        elif was_held:
            log.warning("%s lost the %s lease to another process", self.holder, self.name)
        return held

    async def _ask(self) -> bool:
        now = self._clock.now()
        if self._alone and not self._taken:
            await self._store.write(
                lambda uow: uow.leases.take(self.name, by=self.holder, now=now, lease=self.lease)
            )
            self._taken = True
            won = True
        else:
            won = await self._store.write(
                lambda uow: uow.leases.acquire(self.name, by=self.holder, now=now, lease=self.lease)
            )
        self._until = now + self.lease if won else None
        return won
