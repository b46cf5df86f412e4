"""Holds a named lease in the database for work one process at a time may do, renewing it
while the process lives; another process takes it over once its holder stops renewing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

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
        self.held = False
        self._tried = False
        self._task: asyncio.Task[None] | None = None

    def on_gained(self, job: Job) -> None:
        """Run ``job`` each time the lease is won after the first try (taking over)."""
        self._on_gained = job

    def on_held(self, job: Job) -> None:
        """Run ``job`` after each renewal while the lease stays held."""
        self._on_held = job

    async def start(self) -> None:
        """Try once now (so a lone process holds the lease before it does any work), then
        keep renewing in the background."""
        await self.renew()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._keep(), name=f"lease:{self.name}")

    async def stop(self) -> None:
        """Stop renewing and let go, so another process takes over at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.held:
            self.held = False
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
                # waits until the next renewal succeeds.
                log.exception("could not renew the %s lease", self.name)

    async def renew(self) -> bool:
        """Take or extend the lease once; whether this process holds it now."""
        now = self._clock.now()
        first = not self._tried
        if first and self._alone:
            await self._store.write(
                lambda uow: uow.leases.take(self.name, by=self.holder, now=now, lease=self.lease)
            )
            held = True
        else:
            held = await self._store.write(
                lambda uow: uow.leases.acquire(self.name, by=self.holder, now=now, lease=self.lease)
            )
        self._tried = True
        was_held, self.held = self.held, held
        if held and not was_held and not first:
            log.info("%s took over the %s lease", self.holder, self.name)
            if self._on_gained is not None:
                await self._on_gained()
        elif held and was_held:
            if self._on_held is not None:
                await self._on_held()
        elif was_held and not held:
            log.warning("%s lost the %s lease to another process", self.holder, self.name)
        elif first and not held:
            log.info("another process holds the %s lease; %s waits", self.name, self.holder)
        return held
