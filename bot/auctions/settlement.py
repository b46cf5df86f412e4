"""Pledge mode's settlement: after a sold pledge auction closes, the winner pays outside the
bot by a deadline and a moderator confirms it; unpaid, the sale defaults and the handle is
offered to the next bidders in turn (second-chance offers), each at their own highest bid.

Like closing, the database decides and the timer only reminds: each step's ``due_at`` is
the truth, and every change of a step is a conditional update from the state it was read
in, so a duplicate reminder, a second process or a second press changes nothing. Every
message (DMs, the audit channel's copies) is queued in the outbox in the same transaction.
A step that fell due while the bot was down is decided at once at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.auctions.common import reason, when
from bot.auctions.deadlines import Deadlines, Kind
from bot.auctions.restock import Restock
from bot.auctions.server_settings import SettingsBook
from bot.auctions.voiding import void_barred
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.auction import Auction
from bot.domain.errors import AuctionError, AuctionNotFound, BidRefused, NotPermitted
from bot.domain.events import StepScheduled, StepSettled
from bot.domain.handles import handle_key, normalise
from bot.domain.inventory import ItemStatus
from bot.domain.messages import MessageKind
from bot.domain.payments import PaymentRules
from bot.domain.records import AuditEntry, Sale
from bot.domain.settlement import (
    SettlementStatus,
    SettlementStep,
    StepState,
    next_candidate,
)
from bot.domain.text import quote
from bot.ports import CloseTimer
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

HORIZON = timedelta(hours=1)
SWEEP_EVERY = timedelta(seconds=30)
LATE = timedelta(seconds=30)
STEP_RETRY = timedelta(seconds=30)

StepJob = Callable[[int], Awaitable[object]]
Rules = Callable[[UnitOfWork, int], PaymentRules]


class SettlementError(AuctionError):
    """A settlement action that cannot happen now (nothing due, already answered...)."""


class StepTimer(Protocol):
    def remind_step(self, step_id: int, at: datetime, job: StepJob) -> None: ...

    def forget_step(self, step_id: int) -> None: ...


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _notice(
    uow: UnitOfWork, step: SettlementStep, auction: Auction, event: str, now: datetime, **extra: Any
) -> None:
    """The audit channel's copy of a settlement step."""
    uow.queue(
        guild_id=step.guild_id,
        auction_id=step.auction_id,
        kind=MessageKind.SETTLEMENT_NOTICE,
        payload={
            "event": event,
            "step_id": step.id,
            "round": step.round,
            "member_id": step.member_id,
            "price": step.price,
            "due_at": _unix(step.due_at),
            "handle": auction.handle.display,
        }
        | extra,
        at=now,
    )


def _dm(uow: UnitOfWork, step: SettlementStep, event: str, now: datetime) -> None:
    uow.queue(
        guild_id=step.guild_id,
        auction_id=step.auction_id,
        kind=MessageKind.SETTLEMENT_DM,
        payload={
            "event": event,
            "step_id": step.id,
            "user_id": step.member_id,
            "round": step.round,
            "price": step.price,
            "due_at": _unix(step.due_at),
        },
        at=now,
    )


def open_settlement(
    uow: UnitOfWork, auction: Auction, now: datetime, rules: PaymentRules
) -> SettlementStep:
    """At the close of a sold pledge auction (in its transaction): the winner's step, due
    by the payment deadline. The sale is recorded only once paid."""
    standing = auction.standing
    assert standing.leader_id is not None and standing.price is not None
    uow.settlements.open(auction.id, auction.guild_id)
    step = uow.settlements.add_step(
        auction_id=auction.id,
        guild_id=auction.guild_id,
        round=0,
        member_id=standing.leader_id,
        price=standing.price,
        offered_at=now,
        due_at=now + rules.payment_deadline,
        state=StepState.AWAITING_PAYMENT,
    )
    uow.record(StepScheduled(step.id, step.due_at))
    _notice(uow, step, auction, "sold", now)
    return step


def require_good_standing(uow: UnitOfWork, guild_id: int, member_id: int) -> None:
    """Refuse a bid by a member barred on the server (every bid path calls this)."""
    if not uow.settlements.is_barred(guild_id, member_id):
        return
    standing = uow.settlements.standing(guild_id, member_id)
    if standing.barred:
        wins = "win" if standing.defaults == 1 else "wins"
        raise BidRefused(
            f"You are barred from bidding on this server after {standing.defaults} unpaid "
            f"{wins}. A moderator can lift the bar (`/auctioneer unbar`)."
        )


def due_refusal(uow: UnitOfWork, guild_id: int, key: str, display: str) -> str | None:
    """Why the handle cannot be listed now: a sale of it still waits for payment."""
    settlement = uow.settlements.due_for_handle(guild_id, key)
    if settlement is None:
        return None
    return (
        f"{display} was sold and its payment is still being settled (a payment or a "
        "second-chance offer is due). It can be listed again only if nobody takes it."
    )


def _inventory_after(uow: UnitOfWork, auction: Auction, status: ItemStatus, now: datetime) -> bool:
    """The inventory handle this auction sold: sold once paid, available if nobody took it.
    False if the handle is not from the inventory (or was taken over meanwhile)."""
    item = uow.inventory.find(auction.guild_id, auction.handle.key)
    if item is None or item.status is not ItemStatus.IN_AUCTION or item.auction_id != auction.id:
        return False
    uow.inventory.set_status(item.id, status, at=now)
    return True


def advance_if_due(
    uow: UnitOfWork, step_id: int, now: datetime, rules: Rules
) -> SettlementStep | None:
    """The deadline transaction: an unpaid step defaults, an unanswered offer expires, and
    the next bidder is offered the handle. None if the step was decided already or is not
    due yet (then it is reminded again)."""
    step = uow.settlements.get_step(step_id)
    if not step.is_open:
        return None
    if now < step.due_at:
        uow.record(StepScheduled(step.id, step.due_at))
        return None
    payments = rules(uow, step.guild_id)
    auction = uow.auctions.get(step.auction_id)
    if step.state is StepState.AWAITING_PAYMENT:
        if not uow.settlements.decide(
            step.id, expected=step.state, state=StepState.DEFAULTED, at=now, by=None
        ):
            return None
        count = uow.settlements.add_default(step.guild_id, step.member_id)
        barred = (
            payments.defaults_to_bar > 0
            and count >= payments.defaults_to_bar
            and uow.settlements.bar(step.guild_id, step.member_id, now)
        )
        if barred:  # their secret maximums must not go on bidding, and winning, for them
            void_barred(
                uow, step.guild_id, step.member_id, f"barred after {count} unpaid wins", now
            )
        _notice(uow, step, auction, "defaulted", now, defaults=count, barred=barred)
        decided = replace(step, state=StepState.DEFAULTED, decided_at=now)
    else:
        if not uow.settlements.decide(
            step.id, expected=step.state, state=StepState.EXPIRED, at=now, by=None
        ):
            return None
        _notice(uow, step, auction, "expired", now)
        decided = replace(step, state=StepState.EXPIRED, decided_at=now)
    uow.record(StepSettled(step.id))
    offer_next(uow, auction, now, payments)
    return decided


def offer_next(
    uow: UnitOfWork, auction: Auction, now: datetime, payments: PaymentRules
) -> SettlementStep | None:
    """Offer the handle to the next bidder, or settle it unsold when nobody is left (or the
    server's number of offers is used up). Returns the offer made, if any."""
    steps = uow.settlements.steps(auction.id)
    offers = sum(1 for s in steps if s.round > 0)
    candidate = None
    if offers < payments.second_chances:
        excluded = {s.member_id for s in steps} | uow.settlements.barred(auction.guild_id)
        candidate = next_candidate(
            uow.auctions.bids(auction.id),
            reserve=auction.terms.reserve,
            excluded=frozenset(excluded),
        )
    if candidate is None:
        uow.settlements.finish(auction.id, SettlementStatus.UNSOLD, now)
        back = _inventory_after(uow, auction, ItemStatus.AVAILABLE, now)
        last = steps[-1]
        why = (
            "no other bidder is left" if offers < payments.second_chances else "no offers are left"
        )
        _notice(uow, last, auction, "unsold", now, why=why, inventory=back)
        return None
    step = uow.settlements.add_step(
        auction_id=auction.id,
        guild_id=auction.guild_id,
        round=max(s.round for s in steps) + 1,
        member_id=candidate.member_id,
        price=candidate.price,
        offered_at=now,
        due_at=now + payments.offer_deadline,
        state=StepState.OFFERED,
    )
    uow.record(StepScheduled(step.id, step.due_at))
    _dm(uow, step, "offer", now)
    _notice(uow, step, auction, "offered", now)
    return step


def _current(uow: UnitOfWork, auction_id: int) -> SettlementStep:
    return uow.settlements.steps(auction_id)[-1]


def _not_due(handle: str) -> SettlementError:
    return SettlementError(
        f"No payment is due for `@{quote(normalise(handle))}` on this server: "
        "only a pledge sale waiting for its buyer's payment can be marked paid."
    )


def mark_paid(
    uow: UnitOfWork,
    *,
    guild_id: int,
    actor: Actor,
    now: datetime,
    handle: str | None = None,
    step_id: int | None = None,
    why: str | None = None,
) -> SettlementStep:
    """A moderator confirms the payment of the sale's current step (by the handle, or by the
    step a Mark paid button names): the sale is recorded for the member who paid."""
    if step_id is not None:
        step = uow.settlements.get_step(step_id)
        if step.guild_id != guild_id:
            raise AuctionNotFound("That settlement no longer exists.")
        current = _current(uow, step.auction_id)
        if current.id != step.id or step.state is not StepState.AWAITING_PAYMENT:
            raise SettlementError(
                f"That payment is no longer due (its step is {step.state.value.replace('_', ' ')}"
                + ("; a later step follows it" if current.id != step.id else "")
                + "). Use `/auctioneer paid` with the handle for the payment due now."
            )
    else:
        assert handle is not None
        settlement = uow.settlements.due_for_handle(guild_id, handle_key(handle))
        if settlement is None:
            raise _not_due(handle)
        # Read again, locked: a deadline being decided at this moment is waited for.
        step = uow.settlements.get_step(_current(uow, settlement.auction_id).id)
        if step.state is StepState.OFFERED:
            raise SettlementError(
                f"`@{quote(normalise(handle))}` is offered to <@{step.member_id}>, who has not "
                f"accepted yet (the offer stands until {when(step.due_at)}): nothing can be "
                "paid until they accept."
            )
        if step.state is not StepState.AWAITING_PAYMENT:
            raise _not_due(handle)
    auction = uow.auctions.get(step.auction_id)
    if now >= step.due_at:
        # The deadline decides, not whether its reminder has run yet.
        raise SettlementError(
            f"The payment deadline for {auction.handle} passed at {when(step.due_at)}: the "
            "sale defaults, and the handle goes to the next bidder if there is one."
        )
    if not uow.settlements.decide(
        step.id, expected=StepState.AWAITING_PAYMENT, state=StepState.PAID, at=now, by=actor.user_id
    ):
        raise SettlementError(
            "That payment is no longer due: it was just recorded, or its deadline passed."
        )
    uow.settlements.finish(auction.id, SettlementStatus.PAID, now)
    uow.sales.record(
        Sale(
            guild_id=guild_id,
            handle=auction.handle,
            auction_id=auction.id,
            winner_id=step.member_id,
            price=step.price,
            sold_at=now,
        )
    )
    _inventory_after(uow, auction, ItemStatus.SOLD, now)
    detail = f"payment of {step.price} by member {step.member_id} (round {step.round}) confirmed"
    uow.audit.record(AuditEntry(guild_id, auction.id, actor.user_id, "paid", detail, why, now))
    paid = replace(step, state=StepState.PAID, decided_at=now, decided_by=actor.user_id)
    uow.record(StepSettled(step.id))
    _dm(uow, paid, "paid", now)
    _notice(uow, paid, auction, "paid", now, by=actor.user_id, reason=why)
    return paid


def answer_offer(
    uow: UnitOfWork, step_id: int, member_id: int, *, accept: bool, now: datetime, rules: Rules
) -> SettlementStep:
    """The offered member's Accept or Decline. Only they may answer, once, before the
    offer's deadline."""
    step = uow.settlements.get_step(step_id)
    if step.member_id != member_id:
        raise NotPermitted("This offer was made to another member: only they can answer it.")
    auction = uow.auctions.get(step.auction_id)
    if step.state is not StepState.OFFERED:
        raise SettlementError(_answered(step, auction))
    if now >= step.due_at:
        raise SettlementError(
            f"This offer for {auction.handle} expired at {when(step.due_at)}; it has gone to "
            "the next bidder, if there is one."
        )
    payments = rules(uow, step.guild_id)
    if accept:
        # Barred since the offer was made (another sale of theirs defaulted): a barred member
        # may not buy, as they may not bid. Declining is still theirs to do.
        require_good_standing(uow, step.guild_id, member_id)
        due = now + payments.payment_deadline
        if not uow.settlements.accept(step.id, due_at=due):
            raise SettlementError(_answered(step, auction))
        accepted = replace(step, state=StepState.AWAITING_PAYMENT, due_at=due)
        uow.record(StepScheduled(step.id, due))
        _dm(uow, accepted, "accepted", now)
        _notice(uow, accepted, auction, "accepted", now)
        return accepted
    if not uow.settlements.decide(
        step.id, expected=StepState.OFFERED, state=StepState.DECLINED, at=now, by=member_id
    ):
        raise SettlementError(_answered(step, auction))
    declined = replace(step, state=StepState.DECLINED, decided_at=now, decided_by=member_id)
    uow.record(StepSettled(step.id))
    _notice(uow, declined, auction, "declined", now)
    offer_next(uow, auction, now, payments)
    return declined


def _answered(step: SettlementStep, auction: Auction) -> str:
    if step.state is StepState.AWAITING_PAYMENT:
        return (
            f"You accepted this offer for {auction.handle} already: pay by "
            f"{when(step.due_at)}, and a moderator marks it paid."
        )
    if step.state is StepState.DECLINED:
        return f"You declined this offer for {auction.handle} already."
    if step.state is StepState.EXPIRED:
        return f"This offer for {auction.handle} expired at {when(step.due_at)}."
    return f"This offer for {auction.handle} is settled already ({step.state.value})."


def unbar(
    uow: UnitOfWork, *, guild_id: int, actor: Actor, member_id: int, why: str, now: datetime
) -> int:
    """Lift a member's bar on the server; their count of defaults starts again at 0.
    Returns the count they had."""
    standing = uow.settlements.standing(guild_id, member_id)
    if not standing.barred or not uow.settlements.unbar(guild_id, member_id):
        raise SettlementError(f"<@{member_id}> is not barred from bidding on this server.")
    detail = f"lifted the bar on member {member_id} (after {standing.defaults} unpaid wins)"
    uow.audit.record(AuditEntry(guild_id, None, actor.user_id, "unbar", detail, why, now))
    uow.queue(
        guild_id=guild_id,
        auction_id=None,
        kind=MessageKind.SETTLEMENT_NOTICE,
        payload={
            "event": "unbarred",
            "member_id": member_id,
            "defaults": standing.defaults,
            "by": actor.user_id,
            "reason": why,
        },
        at=now,
    )
    return standing.defaults


@dataclass(frozen=True, slots=True)
class PaidReceipt:
    handle: str
    member_id: int
    price: int
    round: int


class Settling:
    """Pledge settlements over a store: the moderators' and members' actions, and the
    deadlines (a sweep plus timer jobs, like closing and scheduled starts)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: SettingsBook,
        timer: CloseTimer,
        step_timer: StepTimer | None,
        *,
        horizon: timedelta = HORIZON,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._restock = Restock(settings.defaults)
        # Without a step timer the sweep alone decides what is due (at most SWEEP_EVERY late).
        self._deadlines = Deadlines(
            Kind("settlement step", self._due_by, self._decided),
            clock=clock,
            sweeper=timer,
            remind=step_timer.remind_step if step_timer else None,
            forget=step_timer.forget_step if step_timer else None,
            horizon=horizon,
            sweep_every=SWEEP_EVERY,
            late=LATE,
            retry=STEP_RETRY,
        )

    # -- actions
    async def mark_paid(
        self,
        guild_id: int,
        actor: Actor,
        *,
        handle: str | None = None,
        step_id: int | None = None,
        why: str | None = None,
    ) -> PaidReceipt:
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=False)

        def transaction(uow: UnitOfWork) -> PaidReceipt:
            step = mark_paid(
                uow, guild_id=guild_id, actor=actor, now=self._clock.now(), handle=handle,
                step_id=step_id, why=text,
            )  # fmt: skip
            auction = uow.auctions.get(step.auction_id)
            return PaidReceipt(auction.handle.display, step.member_id, step.price, step.round)

        receipt = await self._store.write(transaction)
        log.info(
            "%s paid by %s (confirmed by %s)", receipt.handle, receipt.member_id, actor.user_id
        )
        return receipt

    async def answer_offer(self, step_id: int, member_id: int, *, accept: bool) -> SettlementStep:
        step = await self._store.write(
            lambda uow: answer_offer(
                uow,
                step_id,
                member_id,
                accept=accept,
                now=self._clock.now(),
                rules=self._restock.payments,
            )
        )
        log.info("settlement step %s %s by %s", step_id, step.state, member_id)
        return step

    async def unbar(self, guild_id: int, actor: Actor, member_id: int, why: str) -> int:
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=True) or ""
        had = await self._store.write(
            lambda uow: unbar(
                uow,
                guild_id=guild_id,
                actor=actor,
                member_id=member_id,
                why=text,
                now=self._clock.now(),
            )
        )
        log.info("member %s unbarred on %s by %s", member_id, guild_id, actor.user_id)
        return had

    # -- deadlines
    async def advance_if_due(self, step_id: int) -> SettlementStep | None:
        step = await self._store.write(
            lambda uow: advance_if_due(uow, step_id, self._clock.now(), self._restock.payments)
        )
        if step is not None:
            log.info("settlement step %s %s (auction %s)", step.id, step.state, step.auction_id)
        return step

    async def _decided(self, step_id: int) -> bool:
        return await self.advance_if_due(step_id) is not None

    async def _due_by(self, until: datetime) -> list[tuple[int, datetime]]:
        return await self._store.read(lambda uow: uow.settlements.due_by(until))

    def remind(self, step_id: int, at: datetime) -> None:
        self._deadlines.remind(step_id, at)

    def forget(self, step_id: int) -> None:
        self._deadlines.forget(step_id)

    def on_scheduled(self, event: StepScheduled) -> None:
        self.remind(event.step_id, event.at)

    def on_settled(self, event: StepSettled) -> None:
        self.forget(event.step_id)

    async def resume(self) -> int:
        """At start-up: decide the steps that fell due while the bot was down, remind the
        ones near, and sweep from then on. Returns how many were decided."""
        return await self._deadlines.resume("settlement-sweep")

    async def sweep(self) -> int:
        """Decide the overdue steps, remind the ones within the horizon; how many decided."""
        return await self._deadlines.sweep()
