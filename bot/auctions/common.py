"""What several use cases share: finding the auction a member means, reasons, audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.access import Actor
from bot.domain.auction import Auction, Status
from bot.domain.errors import AuctionNotFound, AuctionNotOpen, InvalidInput
from bot.domain.handles import handle_key, normalise
from bot.domain.messages import MessageKind
from bot.domain.records import AuditEntry
from bot.domain.text import quote
from bot.unit_of_work import UnitOfWork

MAX_REASON_LENGTH = 300


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def reason(text: str | None, *, required: bool) -> str | None:
    cleaned = " ".join((text or "").split())
    if required and not cleaned:
        raise InvalidInput("Please give a reason; it goes into the audit log.")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidInput(f"The reason is too long: keep it under {MAX_REASON_LENGTH} characters.")
    return cleaned or None


def not_found(handle: str) -> AuctionNotFound:
    return AuctionNotFound(
        f"There is no auction for `@{quote(normalise(handle))}` on this server. "
        "`/auction list` shows the open ones."
    )


def latest_auction(uow: UnitOfWork, guild_id: int, handle: str) -> Auction:
    """The handle's open auction on the server, else its most recent one."""
    auction = uow.auctions.find_latest(guild_id, handle_key(handle))
    if auction is None:
        raise not_found(handle)
    return auction


def open_auction(uow: UnitOfWork, guild_id: int, handle: str) -> Auction:
    return require_open(latest_auction(uow, guild_id, handle))


def auction_by_id(uow: UnitOfWork, guild_id: int | None, auction_id: int) -> Auction:
    """One auction by id; with ``guild_id``, only if it belongs to that server (a button's
    custom id is typed by whoever made the message, so it is not trusted)."""
    auction = uow.auctions.get(auction_id)
    if guild_id is not None and auction.guild_id != guild_id:
        raise AuctionNotFound("That auction no longer exists.")
    return auction


def require_open(auction: Auction) -> Auction:
    if not auction.is_open:
        verb = "was cancelled" if auction.status is Status.CANCELLED else "has closed"
        raise AuctionNotOpen(f"The auction for {auction.handle} {verb}.")
    return auction


def audit(
    uow: UnitOfWork,
    *,
    guild_id: int,
    auction_id: int | None,
    handle: str,
    actor: Actor,
    action: str,
    detail: str,
    reason: str | None,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Record a moderator's or admin's action, and queue its copy for the audit channel."""
    uow.audit.record(AuditEntry(guild_id, auction_id, actor.user_id, action, detail, reason, now))
    payload = {
        "actor_id": actor.user_id,
        "action": action,
        "handle": handle,
        "detail": detail,
        "reason": reason,
    } | (extra or {})
    uow.queue(
        guild_id=guild_id,
        auction_id=auction_id,
        kind=MessageKind.MODERATOR_ACTION,
        payload=payload,
        at=now,
    )


def audit_auction(
    uow: UnitOfWork,
    auction: Auction,
    actor: Actor,
    *,
    action: str,
    detail: str,
    reason: str | None,
    now: datetime,
) -> None:
    audit(
        uow,
        guild_id=auction.guild_id,
        auction_id=auction.id,
        handle=auction.handle.display,
        actor=actor,
        action=action,
        detail=detail,
        reason=reason,
        now=now,
    )
