"""Scheduled starts: at a drop slot's time, or a relist's, the inventory handle goes up for
auction, once.

Like closing, the database decides and the timer only reminds: the start transaction is a
conditional change (``started_at`` set where it was unset), so a duplicate or concurrent
reminder changes nothing. A start that fell due while the bot was down happens at once, with
its full duration. Starts within ``HORIZON`` have a timer job; a sweep every minute reminds
the rest as they come within it and starts any overdue one nobody reminded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.auctions.deadlines import Deadlines, Kind
from bot.auctions.listing import list_handle
from bot.auctions.server_settings import SettingsBook
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.auction import Auction, Terms
from bot.domain.errors import AuctionError
from bot.domain.events import StartScheduled, StartSettled
from bot.domain.inventory import ItemStatus, ScheduledStart
from bot.domain.messages import MessageKind
from bot.domain.settings import ServerSettings
from bot.ports import CloseTimer
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

HORIZON = timedelta(hours=1)
SWEEP_EVERY = timedelta(minutes=1)
LATE = timedelta(seconds=30)
START_RETRY = timedelta(seconds=30)

StartJob = Callable[[int], Awaitable[object]]


class StartTimer(Protocol):
    def remind_start(self, start_id: int, at: datetime, job: StartJob) -> None: ...

    def forget_start(self, start_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class StartResult:
    start_id: int
    auction: Auction | None  # None: skipped (``skipped`` says why)
    skipped: str = ""


def start_if_due(
    uow: UnitOfWork, start_id: int, now: datetime, settings: ServerSettings
) -> StartResult | None:
    """The start transaction. None if it already happened, was cancelled, or is not due."""
    start = uow.schedule.get_start(start_id)
    if not start.pending:
        return None
    if now < start.starts_at:
        uow.record(StartScheduled(start.id, start.guild_id, start.starts_at))
        return None
    item = uow.inventory.get(start.inventory_id)
    try:
        if item.status is not ItemStatus.SCHEDULED:
            raise AuctionError(f"{item.handle} is {item.status.value.replace('_', ' ')}.")
        prices = item.prices
        starting_bid = start.starting_bid or prices.starting_bid
        if starting_bid is None:
            raise AuctionError(f"{item.handle} has no starting bid.")
        relist = start.relist_number > 0
        terms = Terms(
            starting_bid=starting_bid,
            increment=settings.rules.increment,
            # A relist falls to find a buyer: no reserve or buy-now price holds it up.
            reserve=None if relist else prices.reserve,
            buy_now=None if relist or (prices.buy_now or 0) <= starting_bid else prices.buy_now,
            anti_snipe_window=settings.rules.anti_snipe_window,
            anti_snipe_extension=settings.rules.anti_snipe_extension,
            max_extensions=settings.rules.max_extensions,
        )
        terms.check(settings.currency)
        auction = list_handle(
            uow,
            guild_id=start.guild_id,
            handle=item.handle,
            platform=settings.handles.platform,
            terms=terms,
            currency=settings.currency,
            actor=Actor(start.opened_by),
            now=now,
            # Within the server's bounds as they are now (they may have changed since).
            length=min(
                max(start.duration, settings.rules.min_duration), settings.rules.max_duration
            ),
            channel_id=start.channel_id or settings.auction_channel_id,
            relist_number=start.relist_number,
            relisted_from=start.relisted_from,
            action="relist" if relist else "drop-start",
            money=settings.payments.mode,
            why=f"drop #{start.drop_id}" if start.drop_id is not None else None,
        )
    except AuctionError as exc:
        return _skip(uow, start, item.status, exc.message, now)
    uow.schedule.mark_started(start.id, auction.id, now)
    uow.inventory.set_status(item.id, ItemStatus.IN_AUCTION, at=now, auction_id=auction.id)
    uow.record(StartSettled(start.id))
    return StartResult(start.id, auction)


def _skip(
    uow: UnitOfWork, start: ScheduledStart, status: ItemStatus, why: str, now: datetime
) -> StartResult:
    """A start that can no longer happen: the handle goes back to the inventory and the audit
    channel hears why."""
    uow.schedule.mark_cancelled(start.id, now, why)
    if status is ItemStatus.SCHEDULED:
        uow.inventory.set_status(start.inventory_id, ItemStatus.AVAILABLE, at=now)
    what = f"drop #{start.drop_id}" if start.drop_id is not None else "a relist"
    uow.queue(
        guild_id=start.guild_id,
        auction_id=None,
        kind=MessageKind.HOUSE_NOTICE,
        payload={"text": f"A scheduled start of {what} was skipped: {why}"},
        at=now,
    )
    uow.record(StartSettled(start.id))
    return StartResult(start.id, None, why)


class Starter:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: SettingsBook,
        timer: CloseTimer,
        start_timer: StartTimer | None,
        *,
        horizon: timedelta = HORIZON,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        # Without a start timer the sweep alone starts what is due (at most SWEEP_EVERY late).
        self._deadlines = Deadlines(
            Kind("scheduled start", self._starting_by, self._started),
            clock=clock,
            sweeper=timer,
            remind=start_timer.remind_start if start_timer else None,
            forget=start_timer.forget_start if start_timer else None,
            horizon=horizon,
            sweep_every=SWEEP_EVERY,
            late=LATE,
            retry=START_RETRY,
        )

    async def start_if_due(self, start_id: int) -> StartResult | None:
        guild_id = await self._store.read(lambda uow: uow.schedule.get_start(start_id).guild_id)
        settings = await self._settings.for_guild(guild_id)
        result = await self._store.write(
            lambda uow: start_if_due(uow, start_id, self._clock.now(), settings)
        )
        if result is not None and result.auction is not None:
            a = result.auction
            log.info("scheduled start %s: auction %s opened for %s", start_id, a.id, a.handle)
        elif result is not None:
            log.info("scheduled start %s skipped: %s", start_id, result.skipped)
        return result

    async def _started(self, start_id: int) -> bool:
        result = await self.start_if_due(start_id)
        return result is not None and result.auction is not None

    async def _starting_by(self, until: datetime) -> list[tuple[int, datetime]]:
        return await self._store.read(lambda uow: uow.schedule.starting_by(until))

    def remind(self, start_id: int, at: datetime) -> None:
        self._deadlines.remind(start_id, at)

    def forget(self, start_id: int) -> None:
        self._deadlines.forget(start_id)

    async def sweep(self) -> int:
        """Start what is overdue, remind what came within the horizon; how many started."""
        return await self._deadlines.sweep()

    def on_scheduled(self, event: StartScheduled) -> None:
        self.remind(event.start_id, event.at)

    def on_settled(self, event: StartSettled) -> None:
        self.forget(event.start_id)

    async def resume(self) -> int:
        """At start-up: start what fell due while the bot was down, remind what is near."""
        return await self._deadlines.resume("start-sweep")
