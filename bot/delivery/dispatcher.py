"""Delivers the outbox: each pending message goes to the ``Sender`` method for its kind, with
retries and capped exponential backoff, and is marked delivered once it went through.

Messages go out several at a time, in lanes that keep the order that matters: an auction's
messages one after another, each member's outbid DMs in order, each server's audit copies in
order; every request waits its turn at the ``RequestPace`` shared with the post editor.

Guarantee: at-least-once. A message is marked delivered only after the sender returned, so a
crash between the two delivers it again after restart; the Discord sender passes the message
id as a nonce that Discord uses to drop such a repeat. A failure a retry can help with (an
outage, a rate limit, a timeout) is retried until the message is ``give_up_after`` old;
only then, or at once for a failure Discord will repeat, is it recorded as failed, and a
message given up after an outage is reported in the log and the server's audit channel.

Several processes may deliver one outbox: each claims the messages it sends, under its
process name, for ``lease``; only the holder records what became of a message. A process
that dies leaves its claims to run out, and then another (or its own restart, under a new
name) claims and sends them; a process that is ``alone`` (``[discord] processes = 1``)
takes them back at its start, as the only one that can be sending, and sends them at once.
A message held so long that its lease ran out and another process claimed it may go out
twice; the nonce makes Discord drop the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.delivery.failures import DeliveryFailed
from bot.delivery.pacing import RequestPace
from bot.domain.durations import format_duration
from bot.domain.messages import MessageKind, OutboxMessage
from bot.ports import Sender
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

# The dispatcher also looks on its own this often, in case a wake-up was missed.
POLL_INTERVAL = 30.0
MIN_GIVE_UP_AFTER = timedelta(hours=24)
MIN_KEEP_DELIVERED = timedelta(hours=24)
# How long a stop waits for the messages being sent to be sent and recorded.
STOP_GRACE = 10.0
# Lanes delivered at once: enough to keep the pace when Discord answers slowly.
LANES_AT_ONCE = 8

Lane = tuple[str, int]


def lane_of(message: OutboxMessage) -> Lane:
    """Messages of one lane are delivered in order; lanes run side by side."""
    if message.kind in (
        MessageKind.MODERATOR_ACTION,
        MessageKind.HOUSE_NOTICE,
        MessageKind.SETTLEMENT_NOTICE,
    ):
        return ("audit", message.guild_id)  # one audit channel per server, read in order
    if message.kind in (MessageKind.OUTBID, MessageKind.SETTLEMENT_DM):
        return ("dm", int(message.payload.get("user_id", 0)))
    if message.auction_id is not None:
        return ("auction", message.auction_id)
    return ("server", message.guild_id)


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    retry_base: timedelta = timedelta(seconds=2)
    retry_max: timedelta = timedelta(minutes=10)
    give_up_after: timedelta = timedelta(days=7)
    # Delivered and failed messages are deleted once this old (``HistoryPruner``).
    keep_delivered: timedelta = timedelta(days=30)
    # How long a process holds the messages it claimed: longer than sending a batch can
    # take, since a message whose lease ran out may be claimed and sent by another process.
    lease: timedelta = timedelta(seconds=60)


def _routes(sender: Sender) -> dict[MessageKind, Callable[[OutboxMessage], Awaitable[None]]]:
    return {
        MessageKind.AUCTION_OPENED: sender.post_auction,
        MessageKind.OUTBID: sender.dm_outbid,
        MessageKind.AUCTION_CLOSED: sender.announce_result,
        MessageKind.WINNER_NOTICE: sender.dm_winner,
        MessageKind.AUCTION_CANCELLED: sender.announce_cancellation,
        MessageKind.DROP_ANNOUNCEMENT: sender.announce_drop,
        MessageKind.MODERATOR_ACTION: sender.copy_to_audit,
        MessageKind.HOUSE_NOTICE: sender.send_house_notice,
        MessageKind.SETTLEMENT_DM: sender.settlement_dm,
        MessageKind.SETTLEMENT_NOTICE: sender.settlement_notice,
    }


class OutboxDispatcher:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        *,
        clock: Clock,
        settings: DeliverySettings,
        name: str,
        alone: bool = False,
        pace: RequestPace | None = None,
        batch_size: int = 50,
    ) -> None:
        self._store = store
        self.name = name
        self._alone = alone
        self._routes = _routes(sender)
        self._pace = pace
        self._lanes = asyncio.Semaphore(LANES_AT_ONCE)
        self._clock = clock
        self._settings = settings
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self, *_: object) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop after the messages being sent now are sent and recorded (so a clean stop
        sends nothing twice); past ``grace`` seconds, stop at once."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self._stopping = False
            await self._release()

    async def _release(self, *, everyone: bool = False) -> None:
        """Let go of what this process claimed but did not send (at a stop), or of every
        claim (at the start of a lone process: what a crashed run held), so that it is sent
        at once rather than after the lease."""
        by = None if everyone else self.name
        try:
            released = await self._store.write(lambda uow: uow.outbox.release(by=by))
        except Exception:  # the claims run out on their own
            log.exception("could not let go of the outbox messages claimed by %s", by or "anyone")
            return
        if released:
            log.info("let go of %d claimed outbox message(s) not sent", released)

    async def _run(self) -> None:
        if self._alone:
            await self._release(everyone=True)
        while not self._stopping:
            self._wake.clear()
            try:
                while not self._stopping and await self.deliver_due():
                    pass
                if self._stopping:
                    return
                timeout = await self._seconds_until_next()
            except Exception:
                log.exception("outbox dispatcher failed; trying again shortly")
                timeout = self._settings.retry_base.total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _seconds_until_next(self) -> float:
        next_at = await self._store.read(lambda uow: uow.outbox.next_due_at())
        if next_at is None:
            return POLL_INTERVAL
        wait = (next_at - self._clock.now()).total_seconds()
        return min(max(wait, 0.05), POLL_INTERVAL)

    def _backoff(self, attempts: int) -> float:
        base = self._settings.retry_base.total_seconds()
        doubled: float = base * 2.0 ** min(max(attempts - 1, 0), 32)
        return min(doubled, self._settings.retry_max.total_seconds())

    async def deliver_due(self) -> int:
        """Claim and deliver the messages due now, oldest first. Returns how many were
        handled."""
        now = self._clock.now()
        lease = self._settings.lease
        # Claimed in a write and sent after it committed: no transaction is open while
        # Discord answers.
        due = await self._store.write(
            lambda uow: uow.outbox.claim(by=self.name, now=now, lease=lease, limit=self._batch_size)
        )
        lanes: dict[Lane, list[OutboxMessage]] = {}
        for message in due:  # oldest first, so each lane keeps its order
            lanes.setdefault(lane_of(message), []).append(message)
        outcomes = await asyncio.gather(
            *(self._deliver_lane(messages) for messages in lanes.values()),
            return_exceptions=True,  # every lane finishes before the next look at the outbox
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return len(due)

    async def _deliver_lane(self, messages: list[OutboxMessage]) -> None:
        async with self._lanes:
            for message in messages:
                if self._stopping:
                    return  # left pending for the next start
                await self._deliver(message)

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            if self._pace is not None:
                await self._pace.acquire()
                if self._stopping:
                    return  # waited for its turn into a stop: left pending
            await self._routes[message.kind](message)
        except DeliveryFailed as exc:
            if exc.failure.final:
                log.warning("outbox %s (%s) dropped: %s", message.id, message.kind, exc.detail)
                await self._fail(message, exc.detail)
            else:
                await self._retry(message, exc.detail, exc)
            return
        except Exception as exc:  # an unexpected error: logged in full, and tried again
            log.exception("outbox %s (%s) failed unexpectedly", message.id, message.kind)
            await self._retry(message, repr(exc), exc)
            return
        now = self._clock.now()
        recorded = await self._store.write(
            lambda uow: uow.outbox.mark_delivered(message.id, now, by=self.name)
        )
        if not recorded:
            self._lost(message, "delivered")
            return
        log.info(
            "outbox %s delivered: %s for auction %s", message.id, message.kind, message.auction_id
        )

    def _lost(self, message: OutboxMessage, outcome: str) -> None:
        log.warning(
            "outbox %s (%s) %s, but its lease ran out and another process took it over;"
            " leaving it to that one",
            message.id, message.kind, outcome,
        )  # fmt: skip

    async def _fail(self, message: OutboxMessage, error: str) -> None:
        now = self._clock.now()
        if not await self._store.write(
            lambda uow: uow.outbox.mark_failed(message.id, error=error, at=now, by=self.name)
        ):
            self._lost(message, "failed")

    async def _retry(self, message: OutboxMessage, error: str, exc: Exception) -> None:
        now = self._clock.now()
        age = now - message.created_at
        if age >= self._settings.give_up_after:
            await self._give_up(message, error, age)
            return
        attempts = message.attempts + 1
        delay = self._backoff(attempts)
        log.warning(
            "outbox %s (%s) failed (attempt %d), retrying in %.0fs: %s",
            message.id, message.kind, attempts, delay, error,
        )  # fmt: skip
        retry_at = now + timedelta(seconds=delay)
        if not await self._store.write(
            lambda uow: uow.outbox.mark_retry(
                message.id, error=error, retry_at=retry_at, by=self.name
            )
        ):
            self._lost(message, "failed")

    async def _give_up(self, message: OutboxMessage, error: str, age: timedelta) -> None:
        """Transient failures for longer than ``give_up_after``: record it, and say so."""
        now = self._clock.now()
        waited = format_duration(age)
        log.error(
            "outbox %s (%s) undelivered after %s of failures, giving up: %s",
            message.id, message.kind, waited, error,
        )  # fmt: skip

        def transaction(uow: UnitOfWork) -> bool:
            if not uow.outbox.mark_failed(message.id, error=error, at=now, by=self.name):
                return False  # the process that holds it now decides
            if message.kind is not MessageKind.HOUSE_NOTICE:  # never a notice about a notice
                uow.queue(
                    guild_id=message.guild_id,
                    auction_id=None,
                    kind=MessageKind.HOUSE_NOTICE,
                    payload={
                        "text": f"A message ({message.kind.value.replace('_', ' ')}) could "
                        f"not be delivered for {waited} and was given up: {error[:200]}",
                    },
                    at=now,
                )
            return True

        if not await self._store.write(transaction):
            self._lost(message, "was given up")
