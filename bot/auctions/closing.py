"""Closing: at an auction's end (or at once, for one that ended while the bot was down).

The auction row's end time is the truth; the timer only reminds. Closing is a conditional
status change, so a duplicate or concurrent reminder changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.auctions.common import when
from bot.auctions.read_models import PublicAuction
from bot.clock import Clock
from bot.domain.auction import Auction, Outcome, Status, close_outcome
from bot.domain.errors import AuctionNotOpen
from bot.domain.events import AuctionClosed, AuctionStillRunning
from bot.domain.messages import MessageKind
from bot.domain.records import Sale
from bot.ports import CloseTimer
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

# A close job that failed (database busy, disk full...) is tried again after this long.
CLOSE_RETRY = timedelta(seconds=30)


def close(uow: UnitOfWork, auction: Auction, now: datetime) -> Auction:
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
            payload={},
            at=now,
        )
    uow.record(AuctionClosed(auction.id, outcome))
    return closed


def close_if_due(uow: UnitOfWork, auction_id: int, now: datetime) -> Auction | None:
    """The closing transaction: close the auction if its end has passed; None if it was
    already closed or still runs (then it is reminded again)."""
    auction = uow.auctions.get(auction_id)
    if not auction.is_open:
        return None
    if now < auction.ends_at:
        uow.record(AuctionStillRunning(auction.id, auction.ends_at))
        return None
    return close(uow, auction, now)


class Closing:
    def __init__(self, store: Store, clock: Clock, timer: CloseTimer) -> None:
        self._store = store
        self._clock = clock
        self._timer = timer

    async def close_if_due(self, auction_id: int) -> PublicAuction | None:
        """Close the auction if its end has passed. Idempotent. Returns the closed auction."""
        closed = await self._store.write(
            lambda uow: close_if_due(uow, auction_id, self._clock.now())
        )
        if closed is None:
            return None
        log.info(
            "auction %s closed: %s, %s at %s",
            closed.id, closed.handle, closed.outcome, closed.standing.price,
        )  # fmt: skip
        return PublicAuction.of(closed)

    def remind(self, auction_id: int, at: datetime) -> None:
        self._timer.remind_close(auction_id, at, self.run_close_job)

    def forget(self, auction_id: int) -> None:
        self._timer.forget(auction_id)

    async def run_close_job(self, auction_id: int) -> None:
        """What the timer runs at an auction's end. A failure is retried, never dropped."""
        try:
            await self.close_if_due(auction_id)
        except Exception:
            retry_at = self._clock.now() + CLOSE_RETRY
            log.exception(
                "closing auction %s failed; trying again at %s", auction_id, when(retry_at)
            )
            self.remind(auction_id, retry_at)

    async def resume(self) -> int:
        """At start-up: remind every open auction again; close those already overdue.
        Returns the number of auctions closed because they ended while the bot was down."""
        open_auctions = await self._store.read(lambda uow: uow.auctions.list_open())
        now = self._clock.now()
        overdue = 0
        for auction in open_auctions:
            if auction.ends_at <= now:
                if await self.close_if_due(auction.id) is not None:
                    overdue += 1
            else:
                self.remind(auction.id, auction.ends_at)
        log.info(
            "resumed %d open auction(s); %d overdue closed", len(open_auctions) - overdue, overdue
        )
        return overdue
