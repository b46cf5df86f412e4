"""Delivers the outbox: each pending message goes to a ``Sender`` (the Discord layer), with
retries and exponential backoff, and is marked delivered once it went through.

Guarantee: at-least-once. A message is marked delivered only after the sender returned, so a
crash between the two delivers it again after restart; the Discord sender passes the message
id as a nonce that Discord uses to drop such a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.config import OutboxSettings
from bot.storage import outbox
from bot.storage.database import Database
from bot.storage.outbox import OutboxMessage

log = logging.getLogger(__name__)

# The dispatcher also looks on its own this often, in case a wake-up was missed.
POLL_INTERVAL = 30.0


class PermanentDeliveryError(Exception):
    """Retrying cannot help (the channel is gone, the member blocks DMs...): give up now."""


class Sender(Protocol):
    async def deliver(self, message: OutboxMessage) -> None:
        """Deliver one message or raise. Must be safe to call again for the same message."""
        ...


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        clock: Clock,
        settings: OutboxSettings,
        batch_size: int = 50,
    ) -> None:
        self._db = db
        self._sender = sender
        self._clock = clock
        self._settings = settings
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                while await self.deliver_due():
                    pass
                timeout = await self._seconds_until_next()
            except Exception:
                log.exception("outbox dispatcher failed; trying again shortly")
                timeout = self._settings.retry_base.total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _seconds_until_next(self) -> float:
        next_at = await self._db.read(outbox.next_due_at)
        if next_at is None:
            return POLL_INTERVAL
        wait = (next_at - self._clock.now()).total_seconds()
        return min(max(wait, 0.05), POLL_INTERVAL)

    def _backoff(self, attempts: int) -> float:
        base = self._settings.retry_base.total_seconds()
        doubled: float = base * 2.0 ** max(attempts - 1, 0)
        return min(doubled, self._settings.retry_max.total_seconds())

    async def deliver_due(self) -> int:
        """Deliver every message due now, oldest first. Returns how many were handled."""
        due = await self._db.read(lambda c: outbox.due(c, self._clock.now(), self._batch_size))
        for message in due:
            await self._deliver(message)
        return len(due)

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            await self._sender.deliver(message)
        except PermanentDeliveryError as exc:
            error = str(exc)
            log.warning("outbox %s (%s) dropped: %s", message.id, message.kind, error)
            await self._db.write(
                lambda c: outbox.mark_failed(c, message.id, error=error, at=self._clock.now())
            )
            return
        except Exception as exc:
            error = repr(exc)
            attempts = message.attempts + 1
            if attempts >= self._settings.max_attempts:
                log.error(
                    "outbox %s (%s) failed %d times, giving up: %r",
                    message.id, message.kind, attempts, exc,
                )  # fmt: skip
                await self._db.write(
                    lambda c: outbox.mark_failed(c, message.id, error=error, at=self._clock.now())
                )
                return
            delay = self._backoff(attempts)
            log.warning(
                "outbox %s (%s) failed (attempt %d), retrying in %.0fs: %r",
                message.id, message.kind, attempts, delay, exc,
            )  # fmt: skip
            retry_at = self._clock.now() + timedelta(seconds=delay)
            await self._db.write(
                lambda c: outbox.mark_retry(c, message.id, error=error, retry_at=retry_at)
            )
            return
        await self._db.write(lambda c: outbox.mark_delivered(c, message.id, self._clock.now()))
        log.info(
            "outbox %s delivered: %s for auction %s", message.id, message.kind, message.auction_id
        )
