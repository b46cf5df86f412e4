"""The read models the use cases hand out: auctions and bids as members may see them, never a
secret maximum or reserve amount, except a bidder's own maximum, shown to that bidder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.auction import Auction, Effect, Outcome, Status
from bot.domain.handles import PLATFORM_NAMES, Handle
from bot.domain.money import Currency, IncrementRule
from bot.domain.payments import MoneyMode
from bot.domain.records import StoredBid


@dataclass(frozen=True, slots=True)
class PublicAuction:
    id: int
    guild_id: int
    handle: Handle
    platform: str  # display name, e.g. "Telegram"
    status: Status
    outcome: Outcome | None
    starting_bid: int
    increment: IncrementRule
    price: int | None
    leader_id: int | None
    bid_count: int
    minimum_bid: int
    has_reserve: bool
    reserve_met: bool
    buy_now: int | None
    buy_now_available: bool
    opened_by: int
    opened_at: datetime
    ends_at: datetime
    extensions: int
    closed_at: datetime | None
    channel_id: int | None
    message_id: int | None
    viewer_maximum: int | None  # the viewer's own secret maximum, if the viewer leads
    currency: Currency  # the one the auction was listed in
    post_lost: bool
    revision: int  # of the state shown: the post editor records which one its post shows
    relist_number: int = 0  # a falling-price relist: which one (0: not a relist)
    relisted_from: int | None = None  # the starting bid it fell from
    money: MoneyMode = MoneyMode.NONE  # how it is paid for (as its server's mode was at start)

    @classmethod
    def of(cls, auction: Auction, viewer_id: int | None = None) -> PublicAuction:
        standing = auction.standing
        mine = (
            standing.leader_max
            if viewer_id is not None and viewer_id == standing.leader_id
            else None
        )
        return cls(
            id=auction.id,
            guild_id=auction.guild_id,
            handle=auction.handle,
            platform=PLATFORM_NAMES.get(auction.platform, auction.platform),
            status=auction.status,
            outcome=auction.outcome,
            starting_bid=auction.terms.starting_bid,
            increment=auction.terms.increment,
            price=standing.price,
            leader_id=standing.leader_id,
            bid_count=standing.bid_count,
            minimum_bid=auction.minimum_bid,
            has_reserve=auction.terms.reserve is not None,
            reserve_met=auction.reserve_met,
            buy_now=auction.terms.buy_now,
            buy_now_available=auction.buy_now_available,
            opened_by=auction.opened_by,
            opened_at=auction.opened_at,
            ends_at=auction.ends_at,
            extensions=auction.extensions,
            closed_at=auction.closed_at,
            channel_id=auction.channel_id,
            message_id=auction.message_id,
            viewer_maximum=mine,
            currency=auction.currency,
            post_lost=auction.post_lost,
            revision=auction.revision,
            relist_number=auction.relist_number,
            relisted_from=auction.relisted_from,
            money=auction.money,
        )

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def winner_id(self) -> int | None:
        return self.leader_id if self.outcome is Outcome.SOLD else None


@dataclass(frozen=True, slots=True)
class PublicBid:
    """One bid as anyone may see it: who bid, when, and the price and leader it led to.
    Never the amount typed: a leader raising their own maximum would give it away."""

    id: int
    bidder_id: int
    price_after: int
    leader_after: int
    placed_at: datetime
    voided: bool

    @classmethod
    def of(cls, bid: StoredBid) -> PublicBid:
        return cls(
            bid.id, bid.bidder_id, bid.price_after, bid.leader_after, bid.placed_at, bid.voided
        )


@dataclass(frozen=True, slots=True)
class BidReceipt:
    """The answer to an accepted bid, for the bidder."""

    bid_id: int
    amount: int
    maximum: int
    effect: Effect
    extended: bool
    outbid_user_id: int | None
    auction: PublicAuction  # seen by the bidder: includes their own maximum if they lead


@dataclass(frozen=True, slots=True)
class VoidReceipt:
    voided: int
    auction: PublicAuction


@dataclass(frozen=True, slots=True)
class OpenPage:
    """One page of a server's open auctions, soonest ending first."""

    views: list[PublicAuction]
    page: int  # from 0, within the pages there are
    pages: int  # at least 1, even when none is open
    total: int  # open auctions on the server
