"""The use cases: everything the Discord layer can ask of the auction house.

Each use case takes the guild and the acting member, checks what the member may do (the bot
never relies on Discord's command permissions alone), runs its reads and writes as one
function on the database thread (so concurrent calls serialise and commit together), and
returns views or raises an ``AuctionError`` whose message is written for the user.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.clock import Clock
from bot.config import AuctionSettings
from bot.domain.access import AccessPolicy, Actor
from bot.domain.auction import (
    Auction,
    Effect,
    Outcome,
    Status,
    Terms,
    check_bid_amounts,
    close_outcome,
    decide_bid,
    replay,
)
from bot.domain.durations import check_bounds, format_duration, parse_duration
from bot.domain.errors import (
    AuctionNotFound,
    AuctionNotOpen,
    HandleUnavailable,
    InvalidInput,
    NothingToVoid,
)
from bot.domain.handles import HandlePolicy, handle_key, normalise
from bot.domain.money import Currency, IncrementRule
from bot.domain.text import quote
from bot.scheduling import Reminders
from bot.storage import auctions, audit, outbox, preferences, registry
from bot.storage.database import Database
from bot.storage.outbox import MessageKind
from bot.views import AuctionView, BidReceipt, BidView, VoidReceipt

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 300
# A close job that failed (database busy, disk full...) is tried again after this long.
CLOSE_RETRY = timedelta(seconds=30)
Listener = Callable[[int], None]
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Written(Generic[R]):
    """What a write produced: the caller's result, and the bookkeeping due after the commit."""

    result: R
    auction: Auction
    queued: bool = False  # outbox messages were added
    reschedule: bool = False  # the end moved (or the close job must be set)
    closed: bool = False


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _reason(text: str | None, *, required: bool) -> str | None:
    cleaned = " ".join((text or "").split())
    if required and not cleaned:
        raise InvalidInput("Please give a reason; it goes into the audit log.")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidInput(f"The reason is too long: keep it under {MAX_REASON_LENGTH} characters.")
    return cleaned or None


def _safely(listener: Callable[..., None], *args: int) -> None:
    try:
        listener(*args)
    except Exception:
        log.exception("a listener failed after a commit")


def _duration(value: timedelta | str) -> timedelta:
    return parse_duration(value) if isinstance(value, str) else value


class AuctionService:
    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        reminders: Reminders,
        settings: AuctionSettings,
        handles: HandlePolicy,
        access: AccessPolicy,
    ) -> None:
        self._db = db
        self._clock = clock
        self._reminders = reminders
        self.settings = settings
        self.handles = handles
        self.access = access
        self._change_listeners: list[Listener] = []
        self._outbox_listeners: list[Callable[[], None]] = []

    @property
    def currency(self) -> Currency:
        return self.settings.currency

    # -- observers ------------------------------------------------------------------------

    def on_change(self, listener: Listener) -> None:
        """Call ``listener(auction_id)`` after every committed change to an auction."""
        self._change_listeners.append(listener)

    def on_outbox(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after a commit that queued outbox messages."""
        self._outbox_listeners.append(listener)

    # -- writing --------------------------------------------------------------------------

    async def _commit(self, op: Callable[[sqlite3.Connection], _Written[R]]) -> R:
        return (await self._commit_written(op)).result

    async def _commit_written(self, op: Callable[[sqlite3.Connection], _Written[R]]) -> _Written[R]:
        """Run ``op`` in a transaction, then do what its commit calls for (move the close job,
        tell the listeners). That follow-up runs even if the caller stops waiting, so an
        auction is never left committed but unscheduled."""
        return await self._db.write(op, on_commit=self._after_commit)

    def _after_commit(self, written: _Written[Any]) -> None:
        auction = written.auction
        # The write is committed whatever happens here: a failure is logged, never reported
        # to the member as if their request had failed.
        try:
            if written.closed:
                self._reminders.forget(auction.id)
            elif written.reschedule:
                self._reminders.remind_close(auction.id, auction.ends_at, self._close_job)
        except Exception:
            log.exception("could not move the close job of auction %s", auction.id)
        for listener in self._change_listeners:
            _safely(listener, auction.id)
        if written.queued:
            for wake in self._outbox_listeners:
                _safely(wake)

    # -- moderator use cases --------------------------------------------------------------

    async def start_auction(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        *,
        starting_bid: int,
        duration: timedelta | str,
        reserve: int | None = None,
        buy_now: int | None = None,
        increment: str | None = None,
        channel_id: int | None = None,
    ) -> AuctionView:
        self.access.require_moderator(actor)
        parsed = self.handles.parse(handle)
        length = _duration(duration)
        check_bounds(length, self.settings.min_duration, self.settings.max_duration)
        rule = (
            self.settings.increment
            if increment is None or not increment.strip()
            else IncrementRule.parse_override(increment, self.settings.increment)
        )
        terms = Terms(
            starting_bid=starting_bid,
            increment=rule,
            reserve=reserve,
            buy_now=buy_now,
            anti_snipe_window=self.settings.anti_snipe_window,
            anti_snipe_extension=self.settings.anti_snipe_extension,
            max_extensions=self.settings.max_extensions,
        )
        terms.check(self.currency)

        def op(conn: sqlite3.Connection) -> _Written[Auction]:
            now = self._clock.now()
            sale = registry.current_sale(conn, guild_id, parsed.key)
            if sale is not None:
                raise HandleUnavailable(
                    f"{parsed} was sold on {_when(sale.sold_at)} for "
                    f"{self.currency.format(sale.price)}. A moderator must release it "
                    "before it can be auctioned again."
                )
            if auctions.find_open(conn, guild_id, parsed.key) is not None:
                raise HandleUnavailable(f"{parsed} is already up for auction on this server.")
            auction = auctions.insert(
                conn,
                guild_id=guild_id,
                handle=parsed,
                platform=self.handles.platform,
                terms=terms,
                opened_by=actor.user_id,
                opened_at=now,
                ends_at=now + length,
                channel_id=channel_id,
            )
            detail = (
                f"starting bid {self.currency.format(starting_bid)}, "
                f"{format_duration(length)}, increment {rule.describe(self.currency)}"
                + (", with a reserve" if reserve else "")
                + (f", buy now {self.currency.format(buy_now)}" if buy_now else "")
            )
            # The post first: the auction's later messages wait until it is out.
            self._queue(conn, auction, kind=MessageKind.AUCTION_OPENED, payload={}, now=now)
            self._audit(conn, auction, actor, action="start", detail=detail, reason=None, now=now)
            return _Written(auction, auction, queued=True, reschedule=True)

        try:
            auction = await self._commit(op)
        except sqlite3.IntegrityError as exc:  # lost a race with another start of the same handle
            raise HandleUnavailable(f"{parsed} is already up for auction on this server.") from exc
        log.info(
            "auction %s opened: %s in guild %s by %s, ends %s",
            auction.id, parsed, guild_id, actor.user_id, _when(auction.ends_at),
        )  # fmt: skip
        return AuctionView.of(auction, actor.user_id)

    async def cancel(self, guild_id: int, actor: Actor, handle: str, reason: str) -> AuctionView:
        self.access.require_moderator(actor)
        why = _reason(reason, required=True)

        def op(conn: sqlite3.Connection) -> _Written[Auction]:
            now = self._clock.now()
            auction = self._open_auction(conn, guild_id, handle)
            if not auctions.finish(
                conn, auction.id, status=Status.CANCELLED, outcome=Outcome.CANCELLED, at=now
            ):
                raise AuctionNotOpen(f"The auction for {auction.handle} has already closed.")
            closed = replace(
                auction, status=Status.CANCELLED, outcome=Outcome.CANCELLED, closed_at=now
            )
            self._audit(
                conn,
                closed,
                actor,
                action="cancel",
                detail="cancelled, no winner",
                reason=why,
                now=now,
            )
            self._queue(
                conn, closed, kind=MessageKind.AUCTION_CANCELLED, payload={"reason": why}, now=now
            )
            return _Written(closed, closed, queued=True, closed=True)

        closed = await self._commit(op)
        log.info("auction %s cancelled by %s: %s", closed.id, actor.user_id, why)
        return AuctionView.of(closed, actor.user_id)

    async def end_now(
        self, guild_id: int, actor: Actor, handle: str, reason: str | None = None
    ) -> AuctionView:
        """Close the auction at once, with the result it has now."""
        self.access.require_moderator(actor)
        why = _reason(reason, required=False)

        def op(conn: sqlite3.Connection) -> _Written[Auction]:
            now = self._clock.now()
            auction = self._open_auction(conn, guild_id, handle)
            closed = self._close(conn, auction, now)
            self._audit(
                conn,
                closed,
                actor,
                action="end",
                detail=f"ended early: {closed.outcome}",
                reason=why,
                now=now,
            )
            return _Written(closed, closed, queued=True, closed=True)

        closed = await self._commit(op)
        log.info("auction %s ended early by %s: %s", closed.id, actor.user_id, closed.outcome)
        return AuctionView.of(closed, actor.user_id)

    async def extend(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        by: timedelta | str,
        reason: str | None = None,
    ) -> AuctionView:
        self.access.require_moderator(actor)
        delta = _duration(by)
        check_bounds(delta, timedelta(seconds=1), self.settings.max_duration, "extension")
        why = _reason(reason, required=False)

        def op(conn: sqlite3.Connection) -> _Written[Auction]:
            now = self._clock.now()
            auction = self._open_auction(conn, guild_id, handle)
            if now >= auction.ends_at:
                raise AuctionNotOpen(f"Bidding on {auction.handle} has already ended.")
            ends_at = auction.ends_at + delta
            if ends_at - now > self.settings.max_duration:
                raise InvalidInput(
                    f"That would leave more than {format_duration(self.settings.max_duration)} "
                    "to run, the longest an auction may last."
                )
            auctions.set_end(conn, auction.id, ends_at)
            extended = replace(auction, ends_at=ends_at)
            self._audit(
                conn,
                extended,
                actor,
                action="extend",
                detail=f"+{format_duration(delta)}",
                reason=why,
                now=now,
            )
            return _Written(extended, extended, queued=True, reschedule=True)

        extended = await self._commit(op)
        log.info("auction %s extended to %s", extended.id, _when(extended.ends_at))
        return AuctionView.of(extended, actor.user_id)

    async def void_bids(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        bidder_id: int,
        reason: str,
        *,
        bid_id: int | None = None,
    ) -> VoidReceipt:
        """Void the member's live bids on the auction (or only bid ``bid_id`` of theirs); price
        and leader are recomputed by replaying the remaining bids. The end does not move."""
        self.access.require_moderator(actor)
        why = _reason(reason, required=True) or ""

        def op(conn: sqlite3.Connection) -> _Written[int]:
            now = self._clock.now()
            auction = self._open_auction(conn, guild_id, handle)
            count = auctions.void_bids(
                conn, auction.id, bidder_id, by=actor.user_id, reason=why, at=now, bid_id=bid_id
            )
            if count == 0:
                which = f"bid #{bid_id}" if bid_id is not None else "bids"
                raise NothingToVoid(f"That member has no live {which} to void on {auction.handle}.")
            remaining = [b.as_placed() for b in auctions.bids(conn, auction.id) if not b.voided]
            standing = replay(auction.terms, remaining, buy_now_enabled=False)
            auctions.update_standing(conn, auction.id, standing)
            updated = replace(auction, standing=standing)
            detail = f"voided {count} bid(s) by member {bidder_id}"
            self._audit(conn, updated, actor, action="void", detail=detail, reason=why, now=now)
            return _Written(count, updated, queued=True)

        written = await self._commit_written(op)
        log.info(
            "auction %s: %d bid(s) by %s voided", written.auction.id, written.result, bidder_id
        )
        return VoidReceipt(written.result, AuctionView.of(written.auction, actor.user_id))

    async def release_handle(self, guild_id: int, actor: Actor, handle: str, reason: str) -> None:
        """Make a sold handle available for auction again."""
        self.access.require_moderator(actor)
        why = _reason(reason, required=True)
        key = handle_key(handle)

        def op(conn: sqlite3.Connection) -> _Written[None]:
            now = self._clock.now()
            sale = registry.current_sale(conn, guild_id, key)
            if sale is None or not registry.release(
                conn, guild_id, key, by=actor.user_id, reason=why or "", at=now
            ):
                raise AuctionNotFound(f"`@{quote(normalise(handle))}` is not in the sold list.")
            auction = auctions.get(conn, sale.auction_id)
            self._audit(
                conn,
                auction,
                actor,
                action="release",
                detail=f"released {sale.handle}",
                reason=why,
                now=now,
            )
            return _Written(None, auction, queued=True)

        await self._commit(op)
        log.info("%s released by %s: %s", handle, actor.user_id, why)

    # -- bidding --------------------------------------------------------------------------

    async def place_bid(
        self, guild_id: int, actor: Actor, handle: str, amount: int, maximum: int | None = None
    ) -> BidReceipt:
        """Bid on the handle's open auction (``/bid``)."""
        return await self._bid(
            actor, amount, maximum, lambda conn: self._open_auction(conn, guild_id, handle)
        )

    async def place_bid_on(
        self, guild_id: int, actor: Actor, auction_id: int, amount: int, maximum: int | None = None
    ) -> BidReceipt:
        """Bid on one auction by id (a post's buttons): never on a later relisting of the handle."""
        return await self._bid(
            actor, amount, maximum, lambda conn: self._open_by_id(conn, guild_id, auction_id)
        )

    async def _bid(
        self,
        actor: Actor,
        amount: int,
        maximum: int | None,
        find: Callable[[sqlite3.Connection], Auction],
    ) -> BidReceipt:
        self.access.require_bidder(actor)
        # Refuse malformed amounts before touching the database.
        check_bid_amounts(self.currency, amount, maximum)
        bidder = actor.user_id

        def op(conn: sqlite3.Connection) -> _Written[BidReceipt]:
            now = self._clock.now()
            auction = find(conn)
            decision = decide_bid(
                auction,
                currency=self.currency,
                bidder_id=bidder,
                amount=amount,
                maximum=maximum,
                now=now,
            )
            cap = maximum if maximum is not None else amount
            bid_id = auctions.apply_bid(
                conn, auction, decision, bidder_id=bidder, amount=amount, maximum=cap, placed_at=now
            )
            updated = replace(
                auction,
                standing=decision.standing,
                ends_at=decision.ends_at,
                extensions=decision.extensions,
            )
            queued = False
            if decision.outbid_user_id is not None:
                payload = {"user_id": decision.outbid_user_id}
                self._queue(conn, updated, kind=MessageKind.OUTBID, payload=payload, now=now)
                queued = True
            closed = False
            if decision.effect is Effect.BOUGHT_NOW:
                updated = self._close(conn, updated, now)
                queued = closed = True
            receipt = BidReceipt(
                bid_id=bid_id,
                amount=amount,
                maximum=cap,
                effect=decision.effect,
                extended=decision.extended,
                outbid_user_id=decision.outbid_user_id,
                auction=AuctionView.of(updated, bidder),
            )
            return _Written(
                receipt, updated, queued=queued, reschedule=decision.extended, closed=closed
            )

        receipt = await self._commit(op)
        view = receipt.auction
        log.info(
            "auction %s: bid %s by %s accepted (%s), price %s",
            view.id, amount, bidder, receipt.effect, view.price,
        )  # fmt: skip
        if receipt.extended:
            log.info("auction %s extended by anti-sniping to %s", view.id, _when(view.ends_at))
        if receipt.effect is Effect.BOUGHT_NOW:
            log.info("auction %s closed: bought now by %s at %s", view.id, bidder, view.price)
        return receipt

    # -- closing --------------------------------------------------------------------------

    async def close_if_due(self, auction_id: int) -> AuctionView | None:
        """Close the auction if its end has passed. Idempotent: an auction already closed is
        left alone; one whose end moved is scheduled again. Returns the closed auction."""

        def op(conn: sqlite3.Connection) -> _Written[bool]:
            auction = auctions.get(conn, auction_id)
            if not auction.is_open:
                return _Written(False, auction)
            now = self._clock.now()
            if now < auction.ends_at:
                return _Written(False, auction, reschedule=True)
            return _Written(True, self._close(conn, auction, now), queued=True, closed=True)

        written = await self._commit_written(op)
        if not written.result:
            return None
        auction = written.auction
        log.info(
            "auction %s closed: %s, %s at %s",
            auction.id, auction.handle, auction.outcome, auction.standing.price,
        )  # fmt: skip
        return AuctionView.of(auction)

    async def _close_job(self, auction_id: int) -> None:
        """What the scheduler runs at an auction's end. A failure is retried, never dropped."""
        try:
            await self.close_if_due(auction_id)
        except Exception:
            retry_at = self._clock.now() + CLOSE_RETRY
            log.exception(
                "closing auction %s failed; trying again at %s", auction_id, _when(retry_at)
            )
            self._reminders.remind_close(auction_id, retry_at, self._close_job)

    async def resume(self) -> int:
        """At start-up: schedule every open auction again; close those already overdue.
        Returns the number of auctions closed because they ended while the bot was down."""
        open_auctions = await self._db.read(auctions.list_open)
        now = self._clock.now()
        overdue = 0
        for auction in open_auctions:
            if auction.ends_at <= now:
                if await self.close_if_due(auction.id) is not None:
                    overdue += 1
            else:
                self._reminders.remind_close(auction.id, auction.ends_at, self._close_job)
        log.info(
            "resumed %d open auction(s); %d overdue closed", len(open_auctions) - overdue, overdue
        )
        return overdue

    def _close(self, conn: sqlite3.Connection, auction: Auction, now: datetime) -> Auction:
        """Close inside the caller's transaction: status, result, registry and outbox together."""
        outcome = close_outcome(auction)
        if not auctions.finish(conn, auction.id, status=Status.CLOSED, outcome=outcome, at=now):
            raise AuctionNotOpen(f"The auction for {auction.handle} has already closed.")
        closed = replace(auction, status=Status.CLOSED, outcome=outcome, closed_at=now)
        standing = closed.standing
        payload: dict[str, Any] = {
            "outcome": outcome.value,
            "price": standing.price,
            "winner_id": standing.leader_id if outcome is Outcome.SOLD else None,
            "bid_count": standing.bid_count,
        }
        self._queue(conn, closed, kind=MessageKind.AUCTION_CLOSED, payload=payload, now=now)
        if outcome is Outcome.SOLD:
            assert standing.leader_id is not None
            assert standing.price is not None
            registry.record_sale(
                conn,
                registry.Sale(
                    guild_id=auction.guild_id,
                    handle=auction.handle,
                    auction_id=auction.id,
                    winner_id=standing.leader_id,
                    price=standing.price,
                    sold_at=now,
                ),
            )
            self._queue(conn, closed, kind=MessageKind.WINNER_NOTICE, payload=payload, now=now)
        return closed

    # -- reads ----------------------------------------------------------------------------

    async def get_auction(
        self, guild_id: int, handle: str, viewer_id: int | None = None
    ) -> AuctionView:
        """The handle's open auction, else its most recent one."""

        def op(conn: sqlite3.Connection) -> Auction:
            auction = auctions.find_latest(conn, guild_id, handle_key(handle))
            if auction is None:
                raise self._not_found(handle)
            return auction

        return AuctionView.of(await self._db.read(op), viewer_id)

    async def get_by_id(
        self, auction_id: int, viewer_id: int | None = None, *, guild_id: int | None = None
    ) -> AuctionView:
        """One auction by id; with ``guild_id``, only if it belongs to that guild."""
        found = await self._db.read(lambda conn: self._by_id(conn, guild_id, auction_id))
        return AuctionView.of(found, viewer_id)

    async def list_open(self, guild_id: int, viewer_id: int | None = None) -> list[AuctionView]:
        """Open auctions, soonest ending first."""
        found = await self._db.read(lambda conn: auctions.list_open(conn, guild_id))
        return [AuctionView.of(a, viewer_id) for a in found]

    async def open_auction_ids(self) -> list[int]:
        """Every guild's open auctions (for the bot's own upkeep, not for members)."""
        return [a.id for a in await self._db.read(auctions.list_open)]

    async def bid_history(
        self,
        guild_id: int,
        handle: str | None = None,
        *,
        auction_id: int | None = None,
        limit: int = 10,
    ) -> list[BidView]:
        """An auction's most recent bids, newest first, voided ones marked. Each shows the
        price it led to, never what was typed (a leader's raise would give away their
        maximum). The auction is the handle's latest, or the one with ``auction_id``."""

        def op(conn: sqlite3.Connection) -> list[BidView]:
            found: Auction | None
            if auction_id is not None:
                found = self._by_id(conn, guild_id, auction_id)
            else:
                found = auctions.find_latest(conn, guild_id, handle_key(handle or ""))
            if found is None:
                raise self._not_found(handle or "")
            stored = auctions.bids(conn, found.id, newest_first=True, limit=limit)
            return [BidView.of(b) for b in stored]

        return await self._db.read(op)

    async def record_post(self, auction_id: int, channel_id: int, message_id: int) -> None:
        """Remember where the auction's live post is (set by the Discord layer)."""
        await self._db.write(
            lambda conn: auctions.set_post(conn, auction_id, channel_id, message_id)
        )

    # -- members and the bot's own state ---------------------------------------------------

    async def set_outbid_dms(self, guild_id: int, actor: Actor, enabled: bool) -> None:
        """A member turns the DM they get when outbid on or off."""
        await self._db.write(
            lambda conn: preferences.set_outbid_dms(conn, guild_id, actor.user_id, enabled)
        )

    async def wants_outbid_dms(self, guild_id: int, user_id: int) -> bool:
        return await self._db.read(lambda conn: preferences.outbid_dms(conn, guild_id, user_id))

    async def remembered(self, key: str) -> str | None:
        return await self._db.read(lambda conn: preferences.get_state(conn, key))

    async def remember(self, key: str, value: str) -> None:
        now = self._clock.now()
        await self._db.write(lambda conn: preferences.set_state(conn, key, value, now))

    # -- helpers --------------------------------------------------------------------------

    def _not_found(self, handle: str) -> AuctionNotFound:
        return AuctionNotFound(
            f"There is no auction for `@{quote(normalise(handle))}` on this server. "
            "`/auction list` shows the open ones."
        )

    def _open_auction(self, conn: sqlite3.Connection, guild_id: int, handle: str) -> Auction:
        auction = auctions.find_latest(conn, guild_id, handle_key(handle))
        if auction is None:
            raise self._not_found(handle)
        return self._require_open(auction)

    def _by_id(self, conn: sqlite3.Connection, guild_id: int | None, auction_id: int) -> Auction:
        auction = auctions.get(conn, auction_id)
        if guild_id is not None and auction.guild_id != guild_id:
            raise AuctionNotFound("That auction no longer exists.")
        return auction

    def _open_by_id(self, conn: sqlite3.Connection, guild_id: int, auction_id: int) -> Auction:
        return self._require_open(self._by_id(conn, guild_id, auction_id))

    def _require_open(self, auction: Auction) -> Auction:
        if not auction.is_open:
            verb = "was cancelled" if auction.status is Status.CANCELLED else "has closed"
            raise AuctionNotOpen(f"The auction for {auction.handle} {verb}.")
        return auction

    def _queue(
        self,
        conn: sqlite3.Connection,
        auction: Auction,
        *,
        kind: MessageKind,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        outbox.add(
            conn,
            guild_id=auction.guild_id,
            auction_id=auction.id,
            kind=kind,
            payload=payload,
            at=now,
        )

    def _audit(
        self,
        conn: sqlite3.Connection,
        auction: Auction,
        actor: Actor,
        *,
        action: str,
        detail: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Record a moderator action, and queue its copy for the audit channel."""
        audit.record(
            conn,
            audit.AuditEntry(
                auction.guild_id, auction.id, actor.user_id, action, detail, reason, now
            ),
        )
        payload = {
            "actor_id": actor.user_id,
            "action": action,
            "handle": auction.handle.display,
            "detail": detail,
            "reason": reason,
        }
        self._queue(conn, auction, kind=MessageKind.MODERATOR_ACTION, payload=payload, now=now)
