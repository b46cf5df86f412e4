"""Auctions and the bidding rules: pure functions of the auction, the bid and ``now``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.errors import AuctionNotOpen, BidRefused, BidTooLow, InvalidAmount, InvalidInput
from bot.domain.handles import Handle
from bot.domain.money import Currency, IncrementRule
from bot.domain.payments import MoneyMode


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """How a finished auction ended."""

    SOLD = "sold"
    NO_BIDS = "no_bids"
    RESERVE_NOT_MET = "reserve_not_met"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Terms:
    """What the moderator set when listing. ``reserve`` is secret; everything else is public."""

    starting_bid: int
    increment: IncrementRule
    reserve: int | None = None
    buy_now: int | None = None
    anti_snipe_window: timedelta = timedelta(minutes=5)
    anti_snipe_extension: timedelta = timedelta(minutes=5)
    max_extensions: int = 0  # 0 = unlimited

    def check(self, currency: Currency) -> None:
        """Refuse terms that contradict each other, with a message saying what would work."""
        currency.check(self.starting_bid, "starting bid")
        if self.reserve is not None:
            currency.check(self.reserve, "reserve")
            if self.reserve <= self.starting_bid:
                raise InvalidInput(
                    f"The reserve ({currency.format(self.reserve)}) must be above the starting bid "
                    f"({currency.format(self.starting_bid)}), or it would have no effect."
                )
        if self.buy_now is not None:
            currency.check(self.buy_now, "buy-now price")
            floor = max(self.starting_bid, self.reserve or 0)
            if self.buy_now <= floor:
                raise InvalidInput(
                    f"The buy-now price must be above the starting bid and the reserve "
                    f"(so at least {currency.format(floor + 1)})."
                )
        if self.max_extensions < 0:
            raise InvalidInput("max_extensions must be 0 (unlimited) or more.")


@dataclass(frozen=True, slots=True)
class Standing:
    """Price and leader: always the result of replaying the accepted bids in order."""

    price: int | None = None
    leader_id: int | None = None
    leader_max: int | None = None
    bid_count: int = 0


@dataclass(frozen=True, slots=True)
class Auction:
    id: int
    guild_id: int
    handle: Handle
    platform: str
    terms: Terms
    standing: Standing
    status: Status
    opened_by: int
    opened_at: datetime
    ends_at: datetime
    extensions: int = 0
    channel_id: int | None = None
    message_id: int | None = None
    closed_at: datetime | None = None
    outcome: Outcome | None = None
    # The currency the auction was listed in: a server changing its currency later never
    # changes what a running or past auction's amounts mean.
    currency: Currency = Currency()
    post_lost: bool = False  # its post can no longer be shown (the channel is gone)
    # The store's version of the row this was read at: every change gives the row a higher
    # one, so a post showing an older revision is behind. Not moved by in-memory changes.
    revision: int = 0
    # A falling-price relist: which one (0: not a relist) and the starting bid it fell from.
    relist_number: int = 0
    relisted_from: int | None = None
    listed_for: timedelta | None = None  # its length as listed, before any extension
    # How it is paid for, as the server's money mode was when it started: a server switching
    # mode never changes what a running or past auction's bidders agreed to.
    money: MoneyMode = MoneyMode.NONE

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    def after_bid(self, decision: BidDecision, revision: int | None = None) -> Auction:
        """The auction as an accepted bid leaves it (at ``revision``, when the store gives
        one). Built directly rather than with ``dataclasses.replace``: this runs once per
        bid, inside the write transaction."""
        return Auction(
            id=self.id,
            guild_id=self.guild_id,
            handle=self.handle,
            platform=self.platform,
            terms=self.terms,
            standing=decision.standing,
            status=self.status,
            opened_by=self.opened_by,
            opened_at=self.opened_at,
            ends_at=decision.ends_at,
            extensions=decision.extensions,
            channel_id=self.channel_id,
            message_id=self.message_id,
            closed_at=self.closed_at,
            outcome=self.outcome,
            currency=self.currency,
            post_lost=self.post_lost,
            revision=self.revision if revision is None else revision,
            relist_number=self.relist_number,
            relisted_from=self.relisted_from,
            listed_for=self.listed_for,
            money=self.money,
        )

    def accepts_bids_at(self, now: datetime) -> bool:
        return self.is_open and now < self.ends_at

    @property
    def minimum_bid(self) -> int:
        """The lowest bid a challenger could place now."""
        return minimum_bid(self.terms, self.standing)

    @property
    def reserve_met(self) -> bool:
        return reserve_met(self.terms, self.standing)

    @property
    def buy_now_available(self) -> bool:
        buy_now = self.terms.buy_now
        price = self.standing.price
        return self.is_open and buy_now is not None and (price is None or price < buy_now)


def minimum_bid(terms: Terms, standing: Standing) -> int:
    if standing.price is None:
        return terms.starting_bid
    return terms.increment.next_after(standing.price)


def reserve_met(terms: Terms, standing: Standing) -> bool:
    if terms.reserve is None:
        return True
    return standing.price is not None and standing.price >= terms.reserve


class Effect(StrEnum):
    """What an accepted bid did."""

    LEADING = "leading"  # the bidder now leads
    RAISED_MAXIMUM = "raised_maximum"  # the leader raised their own secret maximum
    OUTBID_BY_PROXY = "outbid_by_proxy"  # accepted, but the leader's maximum answered at once
    BOUGHT_NOW = "bought_now"  # reached the buy-now price: the auction ends now


@dataclass(frozen=True, slots=True)
class Evaluation:
    standing: Standing
    effect: Effect


def evaluate(
    terms: Terms,
    standing: Standing,
    bidder_id: int,
    amount: int,
    maximum: int,
    *,
    buy_now_enabled: bool = True,
) -> Evaluation:
    """Apply one bid (``amount`` now, proxy up to ``maximum``) to ``standing``.

    Raises ``BidRefused`` when the bid is not valid. This is the whole of the price logic;
    time (closing, anti-sniping) is handled by ``decide_bid``.
    """
    price, leader, leader_max = standing.price, standing.leader_id, standing.leader_max
    count = standing.bid_count + 1
    buy_now = terms.buy_now
    if (
        buy_now_enabled
        and buy_now is not None
        and amount >= buy_now
        and (price is None or price < buy_now)
    ):
        # Buying now outranks the increment rule and any proxy maximum, as on eBay.
        new = Standing(price=buy_now, leader_id=bidder_id, leader_max=maximum, bid_count=count)
        return Evaluation(new, Effect.BOUGHT_NOW)

    if price is None or leader is None or leader_max is None:
        if amount < terms.starting_bid:
            raise BidTooLow(
                f"The opening bid must be at least the starting bid of {terms.starting_bid:,}.",
                minimum=terms.starting_bid,
            )
        new = Standing(price=amount, leader_id=bidder_id, leader_max=maximum, bid_count=count)
        return Evaluation(_apply_reserve(terms, new), Effect.LEADING)

    if bidder_id == leader:
        if maximum <= leader_max:
            raise BidRefused(
                f"You already lead at {price:,} with a secret maximum of {leader_max:,}. "
                f"To raise your maximum, bid more than {leader_max:,}.",
                minimum=leader_max + 1,
            )
        new = replace(standing, leader_max=maximum, bid_count=count)
        return Evaluation(_apply_reserve(terms, new), Effect.RAISED_MAXIMUM)

    least = terms.increment.next_after(price)
    if amount < least:
        raise BidTooLow(f"The minimum bid is {least:,}.", minimum=least)
    if maximum <= leader_max:
        # The leader's proxy answers: just enough to beat the challenger, capped at their max.
        # Equal maximums go to the earlier bid, which is the leader's.
        new_price = min(leader_max, terms.increment.next_after(maximum))
        new = Standing(price=new_price, leader_id=leader, leader_max=leader_max, bid_count=count)
        return Evaluation(_apply_reserve(terms, new), Effect.OUTBID_BY_PROXY)
    new_price = max(amount, min(maximum, terms.increment.next_after(leader_max)))
    new = Standing(price=new_price, leader_id=bidder_id, leader_max=maximum, bid_count=count)
    return Evaluation(_apply_reserve(terms, new), Effect.LEADING)


def _apply_reserve(terms: Terms, standing: Standing) -> Standing:
    """When the leader's maximum reaches the reserve, the price jumps to the reserve (eBay)."""
    reserve = terms.reserve
    if (
        reserve is not None
        and standing.leader_max is not None
        and standing.price is not None
        and standing.leader_max >= reserve > standing.price
    ):
        return replace(standing, price=reserve)
    return standing


@dataclass(frozen=True, slots=True)
class BidDecision:
    """The result of an accepted bid: the new standing and what changes around it."""

    standing: Standing
    effect: Effect
    ends_at: datetime
    extensions: int
    extended: bool  # anti-sniping moved the end
    previous_leader_id: int | None

    @property
    def outbid_user_id(self) -> int | None:
        """The member who lost the lead through this bid, if any."""
        if (
            self.previous_leader_id is not None
            and self.previous_leader_id != self.standing.leader_id
        ):
            return self.previous_leader_id
        return None


def check_bid_amounts(
    currency: Currency, amount: object, maximum: object | None
) -> tuple[int, int]:
    """Validate a bid's amounts; return ``(amount, effective maximum)``."""
    bid = currency.check(amount, "bid")
    if maximum is None:
        return bid, bid
    cap = currency.check(maximum, "maximum")
    if cap < bid:
        raise InvalidAmount(
            f"Your maximum ({cap:,}) must be at least your bid ({bid:,}); "
            f"leave it out to bid exactly {bid:,}."
        )
    return bid, cap


def decide_bid(
    auction: Auction,
    *,
    currency: Currency,
    bidder_id: int,
    amount: object,
    maximum: object | None,
    now: datetime,
) -> BidDecision:
    """Validate and apply a bid placed at ``now``, including anti-sniping."""
    bid, cap = check_bid_amounts(currency, amount, maximum)
    if not auction.accepts_bids_at(now):
        raise AuctionNotOpen(f"Bidding on {auction.handle} has ended.")
    if auction.minimum_bid > currency.max_amount and bidder_id != auction.standing.leader_id:
        raise BidRefused(
            f"{auction.handle} has reached the highest price allowed here "
            f"({currency.format(currency.max_amount)}): no higher bid is possible."
        )
    before = auction.standing
    evaluation = evaluate(auction.terms, before, bidder_id, bid, cap)
    after = evaluation.standing
    ends_at, extensions, extended = auction.ends_at, auction.extensions, False
    changed = after.price != before.price or after.leader_id != before.leader_id
    terms = auction.terms
    if (
        evaluation.effect is not Effect.BOUGHT_NOW
        and changed
        and now >= auction.ends_at - terms.anti_snipe_window
        and (terms.max_extensions == 0 or extensions < terms.max_extensions)
    ):
        candidate = max(ends_at, now + terms.anti_snipe_extension)
        if candidate > ends_at:
            ends_at, extensions, extended = candidate, extensions + 1, True
    return BidDecision(
        standing=after,
        effect=evaluation.effect,
        ends_at=ends_at,
        extensions=extensions,
        extended=extended,
        previous_leader_id=before.leader_id,
    )


@dataclass(frozen=True, slots=True)
class PlacedBid:
    """The part of a stored bid that replay needs."""

    bidder_id: int
    amount: int
    maximum: int


def replay(terms: Terms, bids: Iterable[PlacedBid], *, buy_now_enabled: bool = True) -> Standing:
    """The standing that ``bids``, applied in order, produce.

    A bid the rules would now refuse (possible once an earlier bid is voided: a leader's
    raise may no longer beat the new price) is skipped, so the result is always a valid
    auction state. Voiding replays with buy-now off: removing a bid must never sell a handle.
    """
    standing = Standing()
    for bid in bids:
        try:
            evaluation = evaluate(
                terms,
                standing,
                bid.bidder_id,
                bid.amount,
                bid.maximum,
                buy_now_enabled=buy_now_enabled,
            )
        except BidRefused:
            continue
        standing = evaluation.standing
        if evaluation.effect is Effect.BOUGHT_NOW:
            break
    return standing


def close_outcome(auction: Auction) -> Outcome:
    """How the auction ends if it closes now."""
    if auction.standing.leader_id is None:
        return Outcome.NO_BIDS
    if not auction.reserve_met:
        return Outcome.RESERVE_NOT_MET
    return Outcome.SOLD
