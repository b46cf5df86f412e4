"""The handle house's stock: each server's inventory of handles, scheduled drops, and the
starts that put inventory handles up for auction at a set time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.handles import Handle


class ItemStatus(StrEnum):
    AVAILABLE = "available"
    SCHEDULED = "scheduled"  # a drop or a relist will put it up for auction
    IN_AUCTION = "in_auction"
    SOLD = "sold"
    WITHDRAWN = "withdrawn"  # removed by a moderator; the handle may be added again


@dataclass(frozen=True, slots=True)
class StockPrices:
    """The prices stored with a handle; each may be left for the moderator to choose."""

    starting_bid: int | None = None
    reserve: int | None = None
    buy_now: int | None = None


@dataclass(frozen=True, slots=True)
class NewItem:
    handle: Handle
    prices: StockPrices
    tags: tuple[str, ...]
    note: str
    score: int


@dataclass(frozen=True, slots=True)
class InventoryItem:
    id: int
    guild_id: int
    handle: Handle
    prices: StockPrices
    tags: tuple[str, ...]
    note: str
    score: int
    status: ItemStatus
    added_by: int
    added_at: datetime
    auction_id: int | None = None
    relists: int = 0
    relist_base: int | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    id: int
    guild_id: int
    created_by: int
    created_at: datetime
    first_start: datetime
    interval: timedelta
    duration: timedelta
    channel_id: int | None
    announce_at: datetime
    cancelled_at: datetime | None = None
    announcement_id: int | None = None  # the outbox message announcing it


@dataclass(frozen=True, slots=True)
class ScheduledStart:
    """An inventory handle to put up for auction at ``starts_at``, once."""

    id: int
    guild_id: int
    inventory_id: int
    drop_id: int | None
    starts_at: datetime
    duration: timedelta
    starting_bid: int | None
    channel_id: int | None
    opened_by: int
    relist_number: int = 0
    relisted_from: int | None = None
    started_at: datetime | None = None
    auction_id: int | None = None
    cancelled_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.started_at is None and self.cancelled_at is None
