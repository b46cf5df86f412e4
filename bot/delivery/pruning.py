"""Prunes the outbox's delivered history: every outbid, result and DM leaves a row behind
once delivered, and nothing reads it again after a while (the audit log and bid history are
their own tables). Pending messages are never touched. Also prunes the keys of interactions'
writes (``bot.interactions``): a copy of an interaction arrives within seconds, and its
token is dead after 15 minutes, so a day's keys are more than enough."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

# Each chunk is its own short write, so bids never wait behind a long delete.
CHUNK = 2_000
INTERVAL = timedelta(hours=1)
KEEP_INTERACTION_KEYS = timedelta(days=1)


class HistoryPruner:
    """Deletes delivered and failed messages older than ``keep``, at start and then every
    ``interval``, one chunk of ids per transaction."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        keep: timedelta,
        *,
        interval: timedelta = INTERVAL,
        chunk: int = CHUNK,
        keep_interaction_keys: timedelta = KEEP_INTERACTION_KEYS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._keep = keep
        self._interval = interval
        self._chunk = chunk
        self._keep_keys = keep_interaction_keys
        self._task: asyncio.Task[None] | None = None

    async def prune_once(self) -> int:
        """Prune now; returns how many messages were deleted."""
        before = self._clock.now() - self._keep
        total = 0
        start: int | None = None
        while True:
            deleted, start = await self._store.write(
                functools.partial(self._chunk_of, before, start)
            )
            total += deleted
            if start is None:
                break
        if total:
            log.info("pruned %d delivered outbox message(s) older than %s", total, before)
        return total

    async def prune_interaction_keys(self) -> int:
        """Delete the keys of interactions older than ``keep_interaction_keys``; how many."""
        before = self._clock.now() - self._keep_keys
        total = 0
        while deleted := await self._store.write(
            lambda uow: uow.interactions.prune(before, chunk=self._chunk)
        ):
            total += deleted
        if total:
            log.info("pruned %d interaction key(s) older than %s", total, before)
        return total

    def _chunk_of(
        self, before: datetime, start: int | None, uow: UnitOfWork
    ) -> tuple[int, int | None]:
        return uow.outbox.prune(before, from_id=start, chunk=self._chunk)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="outbox-pruner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.prune_once()
            except Exception:  # e.g. the disk is full: the history waits for the next round
                log.exception("pruning the outbox's history failed; trying again later")
            try:
                await self.prune_interaction_keys()
            except Exception:
                log.exception("pruning interaction keys failed; trying again later")
            await asyncio.sleep(self._interval.total_seconds())
