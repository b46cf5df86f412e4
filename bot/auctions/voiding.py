"""Voiding a member's bids on an open auction: by a moderator (``/auctioneer void-bid``), or
by the bot when the member is barred (their secret maximums would otherwise go on bidding,
and winning, for them).

The auction's price and leader are then the replay of its remaining bids; a wallet auction's
holds follow in the same transaction. The end never moves and buy-now never triggers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.auctions import escrow
from bot.auctions.common import audit_auction
from bot.domain.access import Actor
from bot.domain.auction import Auction, replay
from bot.domain.events import BidsVoided
from bot.unit_of_work import UnitOfWork

# The actor the audit log records for what the bot does by itself.
THE_BOT = Actor(user_id=0)


def void_and_replay(
    uow: UnitOfWork,
    auction: Auction,
    bidder_id: int,
    *,
    actor: Actor,
    why: str,
    now: datetime,
    bid_id: int | None = None,
) -> tuple[int, Auction]:
    """Void the member's live bids on ``auction`` (or only ``bid_id``), replay the rest and
    audit it. Returns how many were voided (0: nothing changed) and the auction after."""
    count = uow.auctions.void_bids(
        auction.id, bidder_id, by=actor.user_id, reason=why, at=now, bid_id=bid_id
    )
    if count == 0:
        return 0, auction
    remaining = [b.as_placed() for b in uow.auctions.bids(auction.id) if not b.voided]
    standing = replay(auction.terms, remaining, buy_now_enabled=False)
    standing = escrow.after_void(uow, auction, standing, actor=actor, now=now)
    uow.auctions.update_standing(auction.id, standing)
    updated = replace(auction, standing=standing)
    detail = f"voided {count} bid(s) by member {bidder_id}"
    audit_auction(uow, updated, actor, action="void", detail=detail, reason=why, now=now)
    uow.record(BidsVoided(auction.id, count))
    return count, updated


def void_barred(uow: UnitOfWork, guild_id: int, member_id: int, why: str, now: datetime) -> int:
    """Void a member's live bids on every open auction of the server (they were just
    barred). Returns how many auctions changed."""
    changed = 0
    for auction_id in uow.auctions.open_with_live_bids_by(guild_id, member_id):
        auction = uow.auctions.get(auction_id)
        if auction.is_open:
            count, _ = void_and_replay(uow, auction, member_id, actor=THE_BOT, why=why, now=now)
            changed += count > 0
    return changed
