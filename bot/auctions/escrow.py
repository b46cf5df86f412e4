"""Escrow for wallet-mode auctions, inside the bid, void, cancel and close transactions.

The model: in a wallet auction only the current leader has a hold on it, equal to the
leader's cap (``standing.leader_max``: their secret maximum, or their bid). A bid needs its
cap available (what the bidder has available plus what they already hold on this auction);
once applied, the new leader holds exactly their cap and a leader who lost the lead is
released at once. At the close the winner's hold is captured at the final price into the
house's revenue and the rest released; a cancel or a close without a winner releases it all.

Every function returns at once, with no query, for an auction that is not in wallet mode.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.auctions.common import audit_auction
from bot.domain.access import Actor
from bot.domain.auction import Auction, Outcome, Standing, replay
from bot.domain.ledger import Movement, NotEnoughCredits, Posting, not_enough_credits
from bot.domain.payments import MoneyMode
from bot.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

UNDERFUNDED_VOID = "not enough credits to cover the bid after a void"


def _wallet(auction: Auction) -> bool:
    return auction.money is MoneyMode.WALLET


def check_bid(uow: UnitOfWork, auction: Auction, bidder_id: int, cap: int) -> None:
    """Refuse (``NotEnoughCredits``, nothing changed) a bid whose cap the bidder cannot
    cover. Locks the wallets the bid may move (the bidder's and the leader's it may release)."""
    if not _wallet(auction):
        return
    leader = auction.standing.leader_id
    uow.ledger.lock_members(
        auction.guild_id, (bidder_id,) if leader is None else (bidder_id, leader)
    )
    balance = uow.ledger.balance(auction.guild_id, bidder_id)
    if balance.spendable_on(auction.id) < cap:
        raise NotEnoughCredits(not_enough_credits(auction.currency, balance, auction.id, cap))


def sync(uow: UnitOfWork, auction: Auction, now: datetime, *, why: str) -> None:
    """Make the holds on ``auction`` match its standing: the leader holds their cap,
    nobody else holds anything (``why`` is the reason of the releases)."""
    if not _wallet(auction):
        return
    guild, leader = auction.guild_id, auction.standing.leader_id
    holds = uow.ledger.holds_on(guild, auction.id)
    for member, amount in sorted(holds.items()):
        if member != leader:
            _move(uow, auction, Movement.RELEASE, member, amount, why=why, now=now)
    if leader is None:
        return
    cap = auction.standing.leader_max or 0
    current = holds.get(leader, 0)
    if cap > current:
        _move(uow, auction, Movement.HOLD, leader, cap - current, why="leading bid", now=now)
    elif cap < current:
        _move(uow, auction, Movement.RELEASE, leader, current - cap, why=why, now=now)


def release_all(uow: UnitOfWork, auction: Auction, now: datetime, *, why: str) -> None:
    """Give back every hold on the auction (cancelled, or closed without a winner)."""
    if not _wallet(auction):
        return
    for member, amount in sorted(uow.ledger.holds_on(auction.guild_id, auction.id).items()):
        _move(uow, auction, Movement.RELEASE, member, amount, why=why, now=now)


def settle_close(uow: UnitOfWork, closed: Auction, now: datetime) -> None:
    """At the close: a sale captures the winner's hold at the final price (never the
    maximum) and releases the rest; no sale releases everything."""
    if not _wallet(closed):
        return
    standing = closed.standing
    if closed.outcome is not Outcome.SOLD or standing.leader_id is None or standing.price is None:
        release_all(uow, closed, now, why=f"auction ended: {closed.outcome}")
        return
    winner, price = standing.leader_id, standing.price
    holds = uow.ledger.holds_on(closed.guild_id, closed.id)
    # In member-id order, as a bid takes them: two closes or a close and a bid never wait
    # on each other in a circle.
    uow.ledger.lock_members(closed.guild_id, holds)
    held = holds.get(winner, 0)
    if held < price:
        # Never, as the leader always holds at least the price. Were it to happen (a store
        # edited by hand), the close must still happen: a close that raised would be retried
        # forever, and with it every overdue close of its batch.
        log.error(
            "auction %s: the winner %s holds %s, below the price %s; capturing what is held",
            closed.id, winner, held, price,
        )  # fmt: skip
    if min(held, price) > 0:
        _move(
            uow, closed, Movement.CAPTURE, winner, min(held, price),
            why=f"won {closed.handle}", now=now,
        )  # fmt: skip
    if held > price:
        _move(
            uow, closed, Movement.RELEASE, winner, held - price, why="the rest of the hold", now=now
        )
    for member, amount in sorted(holds.items()):
        if member != winner:
            _move(uow, closed, Movement.RELEASE, member, amount, why="auction ended", now=now)


def after_void(
    uow: UnitOfWork, auction: Auction, standing: Standing, *, actor: Actor, now: datetime
) -> Standing:
    """After a void's replay: the restored leader must be held their cap. One who cannot
    cover it is held what they have, if that still covers the price (their maximum becomes
    that); one who cannot even cover the price has their remaining bids voided too and the
    bids are replayed again (one bidder fewer each time, so it ends). Returns the standing
    to store, with the holds already synced to it."""
    if not _wallet(auction):
        return standing
    guild = auction.guild_id
    while standing.leader_id is not None:
        leader, price = standing.leader_id, standing.price or 0
        cap = standing.leader_max or price
        holders = uow.ledger.holds_on(guild, auction.id)
        uow.ledger.lock_members(guild, {leader, *holders})
        spendable = uow.ledger.balance(guild, leader).spendable_on(auction.id)
        if spendable >= cap:
            break
        if spendable >= price:
            standing = replace(standing, leader_max=spendable)
            break
        count = uow.auctions.void_bids(
            auction.id, leader, by=actor.user_id, reason=UNDERFUNDED_VOID, at=now
        )
        if count == 0:  # a leader always has a live bid; guard the loop all the same
            raise RuntimeError(f"auction {auction.id}: leader {leader} has no bid to void")
        audit_auction(
            uow, replace(auction, standing=standing), actor, action="void",
            detail=f"voided {count} bid(s) by member {leader}", reason=UNDERFUNDED_VOID, now=now,
        )  # fmt: skip
        remaining = [b.as_placed() for b in uow.auctions.bids(auction.id) if not b.voided]
        standing = replay(auction.terms, remaining, buy_now_enabled=False)
    sync(uow, replace(auction, standing=standing), now, why="bids voided")
    return standing


def _move(
    uow: UnitOfWork,
    auction: Auction,
    movement: Movement,
    member_id: int,
    amount: int,
    *,
    why: str,
    now: datetime,
) -> None:
    uow.ledger.post(
        auction.guild_id,
        Posting(movement, member_id, amount, why, auction_id=auction.id),
        now,
    )
