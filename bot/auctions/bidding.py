"""Bidding: a member's bid by ``/bid`` (on a handle) or by a post's buttons (on one auction).

``place_bid`` is the whole transaction: the benchmark's baseline runs this very function in
plain ``sqlite3`` to measure what the write lane adds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.auctions import closing, escrow
from bot.auctions.common import auction_by_id, open_auction, require_open, when
from bot.auctions.read_models import BidReceipt, PublicAuction
from bot.auctions.restock import Restock
from bot.auctions.server_settings import SettingsBook
from bot.auctions.settlement import require_good_standing
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.auction import Auction, Effect, decide_bid
from bot.domain.errors import StorageUnavailable
from bot.domain.events import AuctionExtended, BidAccepted, Outbid
from bot.domain.messages import MessageKind
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

Find = Callable[[UnitOfWork], Auction]
NOT_SAVED = (
    "I can't save bids right now (the bot's storage is full or failing), so your bid was "
    "not placed. Please try again later, and tell a moderator if it lasts."
)


def place_bid(
    uow: UnitOfWork,
    find: Find,
    *,
    clock: Clock,
    bidder_id: int,
    amount: int,
    maximum: int | None,
    restock: Restock,
) -> BidReceipt:
    """Validate and apply one bid on the auction ``find`` names, in the caller's transaction."""
    now = clock.now()
    auction = find(uow)
    require_good_standing(uow, auction.guild_id, bidder_id)
    decision = decide_bid(
        auction,
        currency=auction.currency,
        bidder_id=bidder_id,
        amount=amount,
        maximum=maximum,
        now=now,
    )
    cap = maximum if maximum is not None else amount
    escrow.check_bid(uow, auction, bidder_id, cap)
    bid_id, updated = uow.auctions.apply_bid(
        auction, decision, bidder_id=bidder_id, amount=amount, maximum=cap, placed_at=now
    )
    escrow.sync(uow, updated, now, why="outbid")
    price = decision.standing.price
    assert price is not None
    uow.record(BidAccepted(auction.id, bid_id, bidder_id, price, decision.effect))
    if decision.extended:
        uow.record(AuctionExtended(auction.id, decision.ends_at, by_anti_sniping=True))
    if decision.outbid_user_id is not None:
        uow.queue(
            guild_id=auction.guild_id,
            auction_id=auction.id,
            kind=MessageKind.OUTBID,
            payload={"user_id": decision.outbid_user_id},
            at=now,
        )
        uow.record(Outbid(auction.id, decision.outbid_user_id))
    if decision.effect is Effect.BOUGHT_NOW:
        updated = closing.close(uow, updated, now, restock)
    return BidReceipt(
        bid_id=bid_id,
        amount=amount,
        maximum=cap,
        effect=decision.effect,
        extended=decision.extended,
        outbid_user_id=decision.outbid_user_id,
        auction=PublicAuction.of(updated, bidder_id),
    )


class Bidding:
    def __init__(self, store: Store, clock: Clock, settings: SettingsBook) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._restock = Restock(settings.defaults)

    async def bid_on_handle(
        self, guild_id: int, actor: Actor, handle: str, amount: int, maximum: int | None = None
    ) -> BidReceipt:
        """Bid on the handle's open auction (``/bid``)."""
        return await self._bid(
            guild_id, actor, amount, maximum, lambda uow: open_auction(uow, guild_id, handle)
        )

    async def bid_on_auction(
        self, guild_id: int, actor: Actor, auction_id: int, amount: int, maximum: int | None = None
    ) -> BidReceipt:
        """Bid on one auction by id (a post's buttons): never on a later relisting of the handle."""
        return await self._bid(
            guild_id,
            actor,
            amount,
            maximum,
            lambda uow: require_open(auction_by_id(uow, guild_id, auction_id)),
        )

    async def _bid(
        self, guild_id: int, actor: Actor, amount: int, maximum: int | None, find: Find
    ) -> BidReceipt:
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_bidder(actor)
        # The most this bid can commit the member to: a proxy bid's maximum is checked when it
        # is set, since the price may later rise to it without them acting.
        settings.limits.check(actor.role_ids, max(amount, maximum or 0), settings.currency)
        bidder = actor.user_id
        try:
            receipt = await self._store.write(
                lambda uow: place_bid(
                    uow,
                    find,
                    clock=self._clock,
                    bidder_id=bidder,
                    amount=amount,
                    maximum=maximum,
                    restock=self._restock,
                )
            )
        except StorageUnavailable as exc:
            raise StorageUnavailable(NOT_SAVED) from exc
        auction = receipt.auction
        # Every bid: DEBUG, or a burst writes a log line per bid (closes and extensions stay INFO).
        log.debug(
            "auction %s: bid %s by %s accepted (%s), price %s",
            auction.id, amount, bidder, receipt.effect, auction.price,
        )  # fmt: skip
        if receipt.extended:
            log.info("auction %s extended by anti-sniping to %s", auction.id, when(auction.ends_at))
        if receipt.effect is Effect.BOUGHT_NOW:
            log.info("auction %s closed: bought now by %s at %s", auction.id, bidder, auction.price)
        return receipt
