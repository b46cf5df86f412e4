"""Scheduled drops: moderators queue inventory handles to go up for auction one after another
(say 20 handles, one every 10 minutes from 18:00 UTC), announced ahead of the first."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.auctions.common import audit, reason
from bot.auctions.server_settings import SettingsBook
from bot.auctions.stock import suggest
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.drops import MAX_DROP_SIZE, announce_at, parse_start, schedule
from bot.domain.durations import check_bounds, format_duration, parse_duration, parse_wait
from bot.domain.errors import AuctionNotFound, InvalidInput
from bot.domain.events import StartScheduled, StartSettled
from bot.domain.handles import handle_key, normalise
from bot.domain.inventory import Drop, InventoryItem, ItemStatus, ScheduledStart
from bot.domain.messages import MessageKind
from bot.domain.settings import ServerSettings
from bot.domain.text import quote
from bot.domain.valuation import Valuation
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(minutes=10)
DEFAULT_DURATION = timedelta(hours=24)
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True, slots=True)
class Slot:
    handle: str
    starts_at: datetime
    starting_bid: int
    suggested: bool  # the inventory had no starting bid: the suggestion is used


@dataclass(frozen=True, slots=True)
class DropPlan:
    drop: Drop
    slots: list[Slot]
    currency_name: str
    asked: int  # how many handles were asked for (fewer may have been available)


def _duration(
    value: timedelta | str | None, default: timedelta, *, zero_ok: bool = False
) -> timedelta:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, str):
        return parse_wait(value) if zero_ok else parse_duration(value)
    return value


def _starting_bid(
    uow: UnitOfWork, item: InventoryItem, settings: ServerSettings
) -> tuple[int, bool]:
    if item.prices.starting_bid is not None:
        return item.prices.starting_bid, False
    # The score stored at import: the valuation's reasons are not needed for a price.
    return suggest(
        uow, item.guild_id, item.handle, Valuation(item.score, ()), settings
    ).amount, True


def _named(uow: UnitOfWork, guild_id: int, text: str) -> list[InventoryItem]:
    names = [n for n in _SEPARATORS.split(text) if n]
    if len(names) > MAX_DROP_SIZE:
        raise InvalidInput(f"A drop holds at most {MAX_DROP_SIZE} handles; you named {len(names)}.")
    items: list[InventoryItem] = []
    seen: set[str] = set()
    for name in names:
        key = handle_key(name)
        if key in seen:
            continue
        seen.add(key)
        item = uow.inventory.find(guild_id, key)
        if item is None:
            raise InvalidInput(
                f"`@{quote(normalise(name))}` is not in the inventory: add it first "
                "(`/inventory import`)."
            )
        if item.status is not ItemStatus.AVAILABLE:
            raise InvalidInput(
                f"{item.handle} is {item.status.value.replace('_', ' ')}; "
                "only available handles can go into a drop."
            )
        items.append(item)
    return items


class Drops:
    def __init__(self, store: Store, clock: Clock, settings: SettingsBook) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def create(
        self,
        guild_id: int,
        actor: Actor,
        *,
        start: str,
        count: int | None = None,
        interval: timedelta | str | None = None,
        duration: timedelta | str | None = None,
        tag: str | None = None,
        search: str | None = None,
        handles: str | None = None,
        channel_id: int | None = None,
    ) -> DropPlan:
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        rules = settings.rules
        first = parse_start(start, self._clock.now())
        gap = _duration(interval, DEFAULT_INTERVAL, zero_ok=True)
        if gap > timedelta(days=7):
            raise InvalidInput("The interval between starts must be at most 7d.")
        length = _duration(duration, DEFAULT_DURATION)
        check_bounds(length, rules.min_duration, rules.max_duration)
        if handles is None and count is None:
            raise InvalidInput("Say how many handles to drop (count), or name them (handles).")
        asked = count or 0
        if handles is None and not 1 <= asked <= MAX_DROP_SIZE:
            raise InvalidInput(f"count must be from 1 to {MAX_DROP_SIZE}, not {asked}.")
        tag_key = tag.strip().lower() if tag else None

        def transaction(uow: UnitOfWork) -> DropPlan:
            now = self._clock.now()
            if handles is not None:
                items = _named(uow, guild_id, handles)
            else:
                found, _ = uow.inventory.page(
                    guild_id, status=ItemStatus.AVAILABLE, containing=handle_key(search or ""),
                    tag=tag_key, sort="value", offset=0, limit=asked,
                )  # fmt: skip
                # Each read again, locked where several processes write: one that another
                # drop, a start or a removal took meanwhile is left out, never taken twice.
                items = [
                    item
                    for item in (uow.inventory.get(f.id) for f in found)
                    if item.status is ItemStatus.AVAILABLE
                ]
            if not items:
                raise InvalidInput(
                    "No available inventory handle matches: `/inventory list status:available` "
                    "shows what can go into a drop."
                )
            times = schedule(first, len(items), gap)
            drop = uow.schedule.add_drop(
                guild_id=guild_id, created_by=actor.user_id, created_at=now, first_start=first,
                interval=gap, duration=length, channel_id=channel_id,
                announce_at=announce_at(first, settings.stock.drop_lead, now),
            )  # fmt: skip
            slots: list[Slot] = []
            for item, at in zip(items, times, strict=True):
                bid, suggested = _starting_bid(uow, item, settings)
                scheduled = uow.schedule.add_start(
                    guild_id=guild_id, inventory_id=item.id, drop_id=drop.id, starts_at=at,
                    duration=length, starting_bid=bid, channel_id=channel_id,
                    opened_by=actor.user_id,
                )  # fmt: skip
                uow.inventory.set_status(item.id, ItemStatus.SCHEDULED, at=now)
                uow.record(StartScheduled(scheduled.id, guild_id, at))
                slots.append(Slot(item.handle.display, at, bid, suggested))
            announcement = uow.queue(
                guild_id=guild_id,
                auction_id=None,
                kind=MessageKind.DROP_ANNOUNCEMENT,
                payload=announcement_payload(drop, slots, settings, channel_id),
                at=now,
                due_at=drop.announce_at,
            )
            uow.schedule.set_announcement(drop.id, announcement)
            audit(
                uow, guild_id=guild_id, auction_id=None, handle="", actor=actor, action="drop",
                detail=f"drop #{drop.id}: {len(slots)} handle(s) from "
                f"{first:%Y-%m-%d %H:%M} UTC, every {format_duration(gap) if gap else '0s'}, "
                f"{format_duration(length)} each",
                reason=None, now=now,
            )  # fmt: skip
            return DropPlan(drop, slots, settings.currency.name, asked or len(slots))

        plan = await self._store.write(transaction)
        log.info("guild %s: drop %s of %d handle(s)", guild_id, plan.drop.id, len(plan.slots))
        return plan

    async def upcoming(
        self, guild_id: int, actor: Actor
    ) -> list[tuple[Drop, list[ScheduledStart], list[str]]]:
        """Drops with starts still to come, each with its starts and their handles."""
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)

        def query(uow: UnitOfWork) -> list[tuple[Drop, list[ScheduledStart], list[str]]]:
            found = []
            for drop in uow.schedule.upcoming_drops(guild_id, self._clock.now()):
                starts = uow.schedule.starts_of_drop(drop.id)
                names = [uow.inventory.get(s.inventory_id).handle.display for s in starts]
                found.append((drop, starts, names))
            return found

        return await self._store.read(query)

    async def cancel(self, guild_id: int, actor: Actor, drop_id: int, why: str | None) -> int:
        """Cancel a drop's starts still to come; their handles go back to the inventory.
        Returns how many."""
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=False)

        def transaction(uow: UnitOfWork) -> int:
            now = self._clock.now()
            try:
                drop = uow.schedule.get_drop(drop_id)
            except AuctionNotFound:
                drop = None
            if drop is None or drop.guild_id != guild_id:
                raise AuctionNotFound(
                    f"There is no drop #{drop_id} on this server: `/auctioneer drops` lists them."
                )
            if not uow.schedule.cancel_drop(drop.id, by=actor.user_id, reason=text or "", at=now):
                raise InvalidInput(f"Drop #{drop.id} was already cancelled.")
            returned = 0
            for start in uow.schedule.starts_of_drop(drop.id):
                if uow.schedule.mark_cancelled(start.id, now, "the drop was cancelled"):
                    uow.inventory.set_status(start.inventory_id, ItemStatus.AVAILABLE, at=now)
                    uow.record(StartSettled(start.id))
                    returned += 1
            if returned == 0:
                raise InvalidInput(f"Every auction of drop #{drop.id} has already started.")
            announced = drop.announcement_id
            if announced is not None and drop.announce_at > now:
                # Not due yet, so not being sent: it never goes out.
                uow.outbox.cancel(announced, error="the drop was cancelled", at=now)
            elif announced is not None:  # out, or on its way: say it is off (in that order)
                uow.queue(
                    guild_id=guild_id, auction_id=None, kind=MessageKind.DROP_ANNOUNCEMENT,
                    payload={"drop_id": drop.id, "channel_id": drop.channel_id,
                             "cancelled": True, "returned": returned},
                    at=now,
                )  # fmt: skip
            audit(
                uow, guild_id=guild_id, auction_id=None, handle="", actor=actor,
                action="drop-cancel",
                detail=f"drop #{drop.id} cancelled: {returned} handle(s) back in the inventory",
                reason=text, now=now,
            )  # fmt: skip
            return returned

        return await self._store.write(transaction)


def announcement_payload(
    drop: Drop, slots: list[Slot], settings: ServerSettings, channel_id: int | None
) -> dict[str, object]:
    return {
        "drop_id": drop.id,
        "channel_id": channel_id or settings.auction_channel_id,
        "currency": settings.currency.name,
        "duration_s": int(drop.duration.total_seconds()),
        "slots": [
            {"handle": s.handle, "at": int(s.starts_at.timestamp()), "starting_bid": s.starting_bid}
            for s in slots
        ],
    }
