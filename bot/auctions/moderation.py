"""What moderators do to auctions: start, cancel, end early, extend, void bids, release a
sold handle. Every call checks the member's permission itself, whatever Discord allowed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.auctions import closing, escrow
from bot.auctions.common import audit_auction, open_auction, reason, when
from bot.auctions.listing import available_item, brand_override, list_handle, merged
from bot.auctions.read_models import PublicAuction, VoidReceipt
from bot.auctions.restock import Restock
from bot.auctions.server_settings import SettingsBook
from bot.auctions.voiding import void_and_replay
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.auction import Auction, Outcome, Status, Terms
from bot.domain.durations import check_bounds, format_duration, parse_duration
from bot.domain.errors import (
    AuctionNotFound,
    AuctionNotOpen,
    InvalidInput,
    NothingToVoid,
)
from bot.domain.events import AuctionClosed, AuctionExtended
from bot.domain.handles import Handle, handle_key, normalise
from bot.domain.inventory import ItemStatus, NewItem, StockPrices
from bot.domain.messages import MessageKind
from bot.domain.money import IncrementRule
from bot.domain.text import quote
from bot.domain.valuation import value_handle
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)


def _duration(value: timedelta | str) -> timedelta:
    return parse_duration(value) if isinstance(value, str) else value


class Moderation:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: SettingsBook,
        zipf: Callable[[str], float] = lambda _: 0.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._restock = Restock(settings.defaults)
        self._zipf = zipf  # to value a released handle that joins the inventory

    async def start(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        *,
        starting_bid: int | None,
        duration: timedelta | str,
        reserve: int | None = None,
        buy_now: int | None = None,
        increment: str | None = None,
        channel_id: int | None = None,
        override: bool = False,
        why: str | None = None,
    ) -> PublicAuction:
        """List a handle. One in the inventory takes its stored prices for the ones not
        given; a brand name needs ``override`` and a reason."""
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        currency, rules = settings.currency, settings.rules
        parsed = settings.handles.parse(handle)
        overriding = brand_override(settings.handles, parsed, override=override, why=why)
        length = _duration(duration)
        check_bounds(length, rules.min_duration, rules.max_duration)
        rule = (
            rules.increment
            if increment is None or not increment.strip()
            else IncrementRule.parse_override(increment, rules.increment)
        )
        given = StockPrices(starting_bid, reserve, buy_now)

        def transaction(uow: UnitOfWork) -> Auction:
            now = self._clock.now()
            item = available_item(uow, guild_id, parsed, now)
            prices = given if item is None else merged(item.prices, given)
            if prices.starting_bid is None:
                raise InvalidInput(
                    f"Give a starting_bid for {parsed}"
                    + (" (its inventory entry has none)." if item is not None else ".")
                )
            terms = Terms(
                starting_bid=prices.starting_bid,
                increment=rule,
                reserve=prices.reserve,
                buy_now=prices.buy_now,
                anti_snipe_window=rules.anti_snipe_window,
                anti_snipe_extension=rules.anti_snipe_extension,
                max_extensions=rules.max_extensions,
            )
            terms.check(currency)
            auction = list_handle(
                uow, guild_id=guild_id, handle=parsed, platform=settings.handles.platform,
                terms=terms, currency=currency, actor=actor, now=now, length=length,
                channel_id=channel_id, why=overriding, money=settings.payments.mode,
            )  # fmt: skip
            if item is not None:
                uow.inventory.set_status(
                    item.id, ItemStatus.IN_AUCTION, at=now, auction_id=auction.id
                )
                uow.inventory.set_relists(item.id, 0, None)  # listed by hand: relists start over
            return auction

        auction = await self._store.write(transaction)
        log.info(
            "auction %s opened: %s in guild %s by %s, ends %s",
            auction.id, parsed, guild_id, actor.user_id, when(auction.ends_at),
        )  # fmt: skip
        return PublicAuction.of(auction, actor.user_id)

    async def cancel(self, guild_id: int, actor: Actor, handle: str, why: str) -> PublicAuction:
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=True)

        def transaction(uow: UnitOfWork) -> Auction:
            now = self._clock.now()
            auction = open_auction(uow, guild_id, handle)
            if not uow.auctions.finish(
                auction.id, status=Status.CANCELLED, outcome=Outcome.CANCELLED, at=now
            ):
                raise AuctionNotOpen(f"The auction for {auction.handle} has already closed.")
            cancelled = replace(
                auction, status=Status.CANCELLED, outcome=Outcome.CANCELLED, closed_at=now
            )
            audit_auction(
                uow, cancelled, actor, action="cancel", detail="cancelled, no winner",
                reason=text, now=now,
            )  # fmt: skip
            uow.queue(
                guild_id=guild_id,
                auction_id=auction.id,
                kind=MessageKind.AUCTION_CANCELLED,
                payload={"reason": text},
                at=now,
            )
            escrow.release_all(uow, cancelled, now, why="auction cancelled")
            uow.record(AuctionClosed(auction.id, Outcome.CANCELLED))
            self._restock.after_close(uow, cancelled, now)
            return cancelled

        cancelled = await self._store.write(transaction)
        log.info("auction %s cancelled by %s: %s", cancelled.id, actor.user_id, text)
        return PublicAuction.of(cancelled, actor.user_id)

    async def end_now(
        self, guild_id: int, actor: Actor, handle: str, why: str | None = None
    ) -> PublicAuction:
        """Close the auction at once, with the result it has now."""
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=False)

        def transaction(uow: UnitOfWork) -> Auction:
            now = self._clock.now()
            closed = closing.close(uow, open_auction(uow, guild_id, handle), now, self._restock)
            audit_auction(
                uow, closed, actor, action="end", detail=f"ended early: {closed.outcome}",
                reason=text, now=now,
            )  # fmt: skip
            return closed

        closed = await self._store.write(transaction)
        log.info("auction %s ended early by %s: %s", closed.id, actor.user_id, closed.outcome)
        return PublicAuction.of(closed, actor.user_id)

    async def extend(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        by: timedelta | str,
        why: str | None = None,
    ) -> PublicAuction:
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        longest = settings.rules.max_duration
        delta = _duration(by)
        check_bounds(delta, timedelta(seconds=1), longest, "extension")
        text = reason(why, required=False)

        def transaction(uow: UnitOfWork) -> Auction:
            now = self._clock.now()
            auction = open_auction(uow, guild_id, handle)
            if now >= auction.ends_at:
                raise AuctionNotOpen(f"Bidding on {auction.handle} has already ended.")
            ends_at = auction.ends_at + delta
            if ends_at - now > longest:
                raise InvalidInput(
                    f"That would leave more than {format_duration(longest)} "
                    "to run, the longest an auction may last."
                )
            uow.auctions.set_end(auction.id, ends_at)
            extended = replace(auction, ends_at=ends_at)
            audit_auction(
                uow, extended, actor, action="extend", detail=f"+{format_duration(delta)}",
                reason=text, now=now,
            )  # fmt: skip
            uow.record(AuctionExtended(auction.id, ends_at, by_anti_sniping=False))
            return extended

        extended = await self._store.write(transaction)
        log.info("auction %s extended to %s", extended.id, when(extended.ends_at))
        return PublicAuction.of(extended, actor.user_id)

    async def void_bids(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        bidder_id: int,
        why: str,
        *,
        bid_id: int | None = None,
    ) -> VoidReceipt:
        """Void the member's live bids on the auction (or only bid ``bid_id`` of theirs); price
        and leader are recomputed by replaying the remaining bids. The end does not move."""
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=True) or ""

        def transaction(uow: UnitOfWork) -> tuple[int, Auction]:
            now = self._clock.now()
            auction = open_auction(uow, guild_id, handle)
            count, updated = void_and_replay(
                uow, auction, bidder_id, actor=actor, why=text, now=now, bid_id=bid_id
            )
            if count == 0:
                which = f"bid #{bid_id}" if bid_id is not None else "bids"
                raise NothingToVoid(f"That member has no live {which} to void on {auction.handle}.")
            return count, updated

        count, updated = await self._store.write(transaction)
        log.info("auction %s: %d bid(s) by %s voided", updated.id, count, bidder_id)
        return VoidReceipt(count, PublicAuction.of(updated, actor.user_id))

    async def release_handle(self, guild_id: int, actor: Actor, handle: str, why: str) -> None:
        """Make a sold handle available for auction again."""
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        text = reason(why, required=True)
        key = handle_key(handle)
        score = (
            value_handle(key, brands=settings.handles.brands, zipf=self._zipf).score if key else 0
        )

        def transaction(uow: UnitOfWork) -> None:
            now = self._clock.now()
            sale = uow.sales.current(guild_id, key)
            if sale is None or not uow.sales.release(
                guild_id, key, by=actor.user_id, reason=text or "", at=now
            ):
                raise AuctionNotFound(f"`@{quote(normalise(handle))}` is not in the sold list.")
            auction = uow.auctions.get(sale.auction_id)
            restock_released(uow, guild_id, sale.handle, auction, actor=actor, now=now, score=score)
            audit_auction(
                uow, auction, actor, action="release",
                detail=f"released {sale.handle}; back in the inventory as available",
                reason=text, now=now,
            )  # fmt: skip

        await self._store.write(transaction)
        log.info("%s released by %s: %s", handle, actor.user_id, text)


def restock_released(
    uow: UnitOfWork,
    guild_id: int,
    handle: Handle,
    auction: Auction,
    *,
    actor: Actor,
    now: datetime,
    score: int,
) -> None:
    """A released handle goes back into the inventory as available (added if it was sold
    without ever being in it), with the prices it was last listed at."""
    item = uow.inventory.find(guild_id, handle.key)
    if item is not None:
        uow.inventory.set_status(item.id, ItemStatus.AVAILABLE, at=now)
        uow.inventory.set_relists(item.id, 0, None)
        return
    terms = auction.terms
    uow.inventory.add(
        guild_id,
        NewItem(
            handle=handle,
            prices=StockPrices(terms.starting_bid, terms.reserve, terms.buy_now),
            tags=(),
            note=f"released after auction #{auction.id}",
            score=score,
        ),
        by=actor.user_id,
        at=now,
    )
