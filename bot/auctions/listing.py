"""Putting a handle up for auction inside a transaction: shared by a moderator's start and
the scheduled starts of drops and relists, so both check the same things in the same words."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.auctions.common import audit_auction, reason, when
from bot.auctions.settlement import due_refusal
from bot.domain.access import Actor
from bot.domain.auction import Auction, Terms
from bot.domain.durations import format_duration
from bot.domain.errors import HandleUnavailable, InvalidInput
from bot.domain.events import AuctionOpened, StartSettled
from bot.domain.handles import Handle, HandlePolicy
from bot.domain.inventory import InventoryItem, ItemStatus, StockPrices
from bot.domain.messages import MessageKind
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode
from bot.domain.records import Sale
from bot.domain.valuation import brand_match
from bot.unit_of_work import UnitOfWork


def sold_refusal(handle: Handle, sale: Sale, currency: Currency) -> str:
    return (
        f"{handle} was sold on {when(sale.sold_at)} for {currency.format(sale.price)}. "
        "A moderator must release it before it can be auctioned again."
    )


def open_refusal(handle: Handle) -> str:
    return f"{handle} is already up for auction on this server."


def brand_refusal(handle: Handle, brand: str) -> str:
    return (
        f"{handle} matches the brand `{brand}` on this server's brand list: to list it anyway, "
        "use override:true with a reason (it goes into the audit log)."
    )


def brand_override(
    policy: HandlePolicy, handle: Handle, *, override: bool, why: str | None
) -> str | None:
    """None for a handle that is no brand; for a brand, the audited reason to list it anyway
    (refused without ``override`` and a reason)."""
    brand = brand_match(handle.key, policy.brands)
    if brand is None:
        return None
    if not override:
        raise InvalidInput(brand_refusal(handle, brand))
    text = reason(why, required=False)
    if not text:
        raise InvalidInput(
            f"{handle} matches the brand `{brand}`: give a reason for the override; "
            "it goes into the audit log."
        )
    return f"brand override ({brand}): {text}"


def cancel_relist(uow: UnitOfWork, item: InventoryItem, now: datetime) -> InventoryItem:
    """A handle waiting to be relisted is available again (a moderator's own listing or
    withdrawal comes first); a drop's slot is left alone. Returns the item as it is now."""
    if item.status is not ItemStatus.SCHEDULED:
        return item
    start = uow.schedule.pending_for(item.id)
    if start is None or start.drop_id is not None:
        return item
    uow.schedule.mark_cancelled(start.id, now, "a moderator took the handle over")
    uow.record(StartSettled(start.id))
    uow.inventory.set_status(item.id, ItemStatus.AVAILABLE, at=now)
    return replace(item, status=ItemStatus.AVAILABLE)


def available_item(
    uow: UnitOfWork, guild_id: int, handle: Handle, now: datetime
) -> InventoryItem | None:
    """The handle's inventory entry, if it has one that may be listed now (a pending relist
    gives way to the moderator's listing)."""
    item = uow.inventory.find(guild_id, handle.key)
    if item is None:
        return None
    item = cancel_relist(uow, item, now)
    if item.status is ItemStatus.SCHEDULED:
        start = uow.schedule.pending_for(item.id)
        drop = f" #{start.drop_id}" if start is not None and start.drop_id is not None else ""
        at = f" at {when(start.starts_at)}" if start is not None else ""
        raise HandleUnavailable(
            f"{handle} is scheduled in drop{drop}{at}. Cancel the drop first "
            "(`/auctioneer drop-cancel`), or wait for it to go up."
        )
    # In auction or sold: refused below with the open auction's or the registry's words.
    return item


def merged(stored: StockPrices, given: StockPrices) -> StockPrices:
    """What a moderator typed wins over what the inventory stored."""
    return StockPrices(
        starting_bid=given.starting_bid if given.starting_bid is not None else stored.starting_bid,
        reserve=given.reserve if given.reserve is not None else stored.reserve,
        buy_now=given.buy_now if given.buy_now is not None else stored.buy_now,
    )


def list_handle(
    uow: UnitOfWork,
    *,
    guild_id: int,
    handle: Handle,
    platform: str,
    terms: Terms,
    currency: Currency,
    actor: Actor,
    now: datetime,
    length: timedelta,
    channel_id: int | None,
    why: str | None = None,
    relist_number: int = 0,
    relisted_from: int | None = None,
    action: str = "start",
    money: MoneyMode = MoneyMode.NONE,
) -> Auction:
    """Open the auction, queue its post and audit it. Refuses a sold handle or one already up."""
    # The open auction first: where several processes write, this read waits for a close of
    # it in progress, so the sale that close records is seen by the next read.
    if uow.auctions.find_open(guild_id, handle.key) is not None:
        raise HandleUnavailable(open_refusal(handle))
    sale = uow.sales.current(guild_id, handle.key)
    if sale is not None:
        raise HandleUnavailable(sold_refusal(handle, sale, currency))
    settling = due_refusal(uow, guild_id, handle.key, str(handle))
    if settling is not None:
        raise HandleUnavailable(settling)
    auction = uow.auctions.add(
        guild_id=guild_id,
        handle=handle,
        platform=platform,
        terms=terms,
        currency=currency,
        opened_by=actor.user_id,
        opened_at=now,
        ends_at=now + length,
        channel_id=channel_id,
        relist_number=relist_number,
        relisted_from=relisted_from,
        money=money,
    )
    detail = (
        f"starting bid {currency.format(terms.starting_bid)}, "
        f"{format_duration(length)}, increment {terms.increment.describe(currency)}"
        + (", with a reserve" if terms.reserve else "")
        + (f", buy now {currency.format(terms.buy_now)}" if terms.buy_now else "")
        + (f", relist #{relist_number}" if relist_number else "")
        + (f", paid by {money.value}" if money is not MoneyMode.NONE else "")
    )
    # The post first: the auction's later messages wait until it is out.
    uow.queue(
        guild_id=guild_id, auction_id=auction.id, kind=MessageKind.AUCTION_OPENED, payload={},
        at=now,
    )  # fmt: skip
    audit_auction(uow, auction, actor, action=action, detail=detail, reason=why, now=now)
    uow.record(AuctionOpened(auction.id, guild_id, auction.ends_at))
    return auction
