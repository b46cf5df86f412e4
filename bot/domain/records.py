"""What the store keeps besides auctions: bids as placed, sales, audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.auction import PlacedBid
from bot.domain.handles import Handle


@dataclass(frozen=True, slots=True)
class StoredBid:
    """A bid as it was placed (append-only), and its void mark if a moderator voided it."""

    id: int
    auction_id: int
    bidder_id: int
    amount: int
    maximum: int
    placed_at: datetime
    price_after: int
    leader_after: int
    voided_at: datetime | None
    voided_by: int | None
    void_reason: str | None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    def as_placed(self) -> PlacedBid:
        return PlacedBid(bidder_id=self.bidder_id, amount=self.amount, maximum=self.maximum)


@dataclass(frozen=True, slots=True)
class Sale:
    """An entry of the sold-handles registry: who won the handle, for how much, and when."""

    guild_id: int
    handle: Handle
    auction_id: int
    winner_id: int
    price: int
    sold_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator or admin action: who did what, when and why."""

    guild_id: int
    auction_id: int | None
    actor_id: int
    action: str
    detail: str
    reason: str | None
    at: datetime
