"""Closing: at an auction's end (or at once, for one that ended while the bot was down).

The auction row's end time is the truth; the timer only reminds. Closing is a conditional
status change, so a duplicate or concurrent reminder changes nothing.

Only auctions ending within ``horizon`` have a timer job; a sweep every ``SWEEP_EVERY``
reminds the ones that came within it and closes any overdue one nobody reminded. So a start
with 100,000 open auctions reads ids and end times and makes a few jobs, not 100,000.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.auctions import escrow
from bot.auctions.common import when
from bot.auctions.read_models import PublicAuction
from bot.auctions.restock import Restock
from bot.auctions.settlement import open_settlement
from bot.clock import Clock
from bot.domain.auction import Auction, Outcome, Status, close_outcome
from bot.domain.errors import AuctionNotOpen
from bot.domain.events import AuctionClosed, AuctionStillRunning
from bot.domain.messages import MessageKind
from bot.domain.payments import MoneyMode
from bot.domain.records import Sale
from bot.ports import CloseTimer
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

# A close job that failed (database busy, disk full...) is tried again after this long.
CLOSE_RETRY = timedelta(seconds=30)
# Auctions ending within the horizon have a timer job; the sweep runs well within it.
HORIZON = timedelta(hours=1)
# Every process sweeps every server's auctions, so an auction whose process died (and with
# it the timer job) still closes at most this late: the sweep of a process still up closes it.
SWEEP_EVERY = timedelta(seconds=30)
# A reminded auction this far past its end has lost its job (it closes well within a second
# when the job runs): the sweep closes it.
LATE = timedelta(seconds=30)
# Overdue auctions are closed this many per transaction (one COMMIT for the batch).
CLOSE_BATCH = 200
# Timer jobs are made this many at a time, then the event loop gets a turn. APScheduler's
# add_job costs 0.1-0.3 ms (it inspects the callable and wakes the scheduler), so 250 at a
# time blocked the loop for 60-130 ms at a start with 500 auctions ending within the hour.
JOBS_PER_TURN = 25


def close(uow: UnitOfWork, auction: Auction, now: datetime, restock: Restock) -> Auction:
    """Close inside the caller's transaction: status, result, registry and outbox together.
    The messages carry no copy of the result: the closed auction row is their one source."""
    outcome = close_outcome(auction)
    if not uow.auctions.finish(auction.id, status=Status.CLOSED, outcome=outcome, at=now):
        raise AuctionNotOpen(f"The auction for {auction.handle} has already closed.")
    closed = replace(auction, status=Status.CLOSED, outcome=outcome, closed_at=now)
    standing = closed.standing
    uow.queue(
        guild_id=auction.guild_id,
        auction_id=auction.id,
        kind=MessageKind.AUCTION_CLOSED,
        payload={},
        at=now,
    )
    if outcome is Outcome.SOLD:
        assert standing.leader_id is not None
        assert standing.price is not None
        notice: dict[str, object] = {}
        if auction.money is MoneyMode.PLEDGE:  # the sale is recorded once paid
            step = open_settlement(uow, closed, now, restock.payments(uow, auction.guild_id))
            notice = {"step_id": step.id, "due_at": int(step.due_at.timestamp())}
        else:
            uow.sales.record(
                Sale(
                    guild_id=auction.guild_id,
                    handle=auction.handle,
                    auction_id=auction.id,
                    winner_id=standing.leader_id,
                    price=standing.price,
                    sold_at=now,
                )
            )
        uow.queue(
            guild_id=auction.guild_id,
            auction_id=auction.id,
            kind=MessageKind.WINNER_NOTICE,
            payload=notice,
            at=now,
        )
    escrow.settle_close(uow, closed, now)
    uow.record(AuctionClosed(auction.id, outcome))
    restock.after_close(uow, closed, now)
    return closed


def close_if_due(
    uow: UnitOfWork, auction_id: int, now: datetime, restock: Restock
) -> Auction | None:
    """The closing transaction: close the auction if its end has passed; None if it was
    already closed or still runs (then it is reminded again)."""
    auction = uow.auctions.get(auction_id)
    if not auction.is_open:
        return None
    if now < auction.ends_at:
        uow.record(AuctionStillRunning(auction.id, auction.ends_at))
        return None
    return close(uow, auction, now, restock)


def close_all_due(
    uow: UnitOfWork, auction_ids: Sequence[int], now: datetime, restock: Restock
) -> list[Auction]:
    """Close each of ``auction_ids`` whose end has passed, in one transaction."""
    closed = []
    for auction_id in auction_ids:
        auction = close_if_due(uow, auction_id, now, restock)
        if auction is not None:
            closed.append(auction)
    return closed


class Closing:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        timer: CloseTimer,
        restock: Restock,
        *,
        horizon: timedelta = HORIZON,
    ) -> None:
        self._store = store
        self._restock = restock
        self._clock = clock
        self._timer = timer
        self._horizon = horizon
        self._reminded: set[int] = set()  # auctions with a timer job

    async def close_if_due(self, auction_id: int) -> PublicAuction | None:
        """Close the auction if its end has passed. Idempotent. Returns the closed auction."""
        closed = await self._store.write(
            lambda uow: close_if_due(uow, auction_id, self._clock.now(), self._restock)
        )
        if closed is None:
            return None
        log.info(
            "auction %s closed: %s, %s at %s",
            closed.id, closed.handle, closed.outcome, closed.standing.price,
        )  # fmt: skip
        return PublicAuction.of(closed)

    def remind(self, auction_id: int, at: datetime) -> None:
        """Have the timer close the auction at ``at``; one ending beyond the horizon is left
        to the sweep that will find it within the horizon."""
        if at - self._clock.now() > self._horizon:
            if auction_id in self._reminded:  # its end moved out of the horizon
                self.forget(auction_id)
            return
        self._reminded.add(auction_id)
        self._timer.remind_close(auction_id, at, self.run_close_job)

    def forget(self, auction_id: int) -> None:
        self._reminded.discard(auction_id)
        self._timer.forget(auction_id)

    async def run_close_job(self, auction_id: int) -> None:
        """What the timer runs at an auction's end. A failure is retried, never dropped."""
        self._reminded.discard(auction_id)  # the timer's job is done (a date job runs once)
        try:
            await self.close_if_due(auction_id)
        except Exception:
            retry_at = self._clock.now() + CLOSE_RETRY
            log.exception(
                "closing auction %s failed; trying again at %s", auction_id, when(retry_at)
            )
            self.remind(auction_id, retry_at)

    async def resume(self) -> int:
        """At start-up: close the auctions that ended while the bot was down, remind the ones
        ending within the horizon, and sweep from then on. Returns how many were closed."""
        self._timer.repeat("close-sweep", SWEEP_EVERY, self.sweep)
        closed = await self.sweep()
        log.info("resumed %d close timer(s); %d overdue closed", len(self._reminded), closed)
        return closed

    async def sweep(self) -> int:
        """Remind every open auction ending within the horizon that has no timer job, and
        close the overdue ones that have none (the bot was down) or whose job is ``LATE``.
        Returns how many were closed."""
        now = self._clock.now()
        window = await self._store.read(lambda uow: uow.auctions.ending_by(now + self._horizon))
        overdue = [
            a for a, end in window if end <= now and (a not in self._reminded or end <= now - LATE)
        ]
        closed = await self._close_overdue(overdue)
        unreminded = [(a, end) for a, end in window if a not in self._reminded]
        for count, (auction_id, ends_at) in enumerate(unreminded, 1):
            if ends_at > now and auction_id not in self._reminded:
                self.remind(auction_id, ends_at)
            if count % JOBS_PER_TURN == 0:
                await asyncio.sleep(0)  # a start with a storm of closes ahead stays responsive
        return closed

    async def _close_overdue(self, auction_ids: list[int]) -> int:
        closed = 0
        for start in range(0, len(auction_ids), CLOSE_BATCH):
            batch = auction_ids[start : start + CLOSE_BATCH]
            now = self._clock.now()
            try:
                done = await self._store.write(
                    functools.partial(
                        close_all_due, auction_ids=batch, now=now, restock=self._restock
                    )
                )
            except Exception:
                retry_at = now + CLOSE_RETRY
                log.exception(
                    "closing %d overdue auction(s) failed; trying again at %s",
                    len(batch), when(retry_at),
                )  # fmt: skip
                for auction_id in batch:
                    self.remind(auction_id, retry_at)
                continue
            for auction in done:
                log.info(
                    "auction %s closed (overdue): %s, %s at %s",
                    auction.id, auction.handle, auction.outcome, auction.standing.price,
                )  # fmt: skip
            closed += len(done)
        return closed
