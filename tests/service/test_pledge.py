"""Pledge mode through the core, on both stores: the settlement a sold pledge auction opens,
payment, defaults and second-chance offers, bars, and deadlines across a restart."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.auctions.house import AuctionHouse
from bot.auctions.settlement import SettlementError
from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.auction import Outcome
from bot.domain.errors import AuctionNotFound, BidRefused, HandleUnavailable, NotPermitted
from bot.domain.inventory import ItemStatus
from bot.domain.messages import MessageKind, OutboxMessage
from bot.domain.payments import MoneyMode, PaymentRules
from bot.domain.settlement import SettlementStatus, SettlementStep, StepState
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import ALICE, BOB, CAROL, GUILD, MOD, SETTINGS, make_core
from tests.fakes import RecordingTimer
from tests.service.test_stock import csv_bytes

DAVE = Actor(user_id=40)
ERIN = Actor(user_id=50)
PAY = timedelta(hours=48)
OFFER = timedelta(hours=24)
PLEDGE = replace(
    SETTINGS,
    payments=PaymentRules(
        mode=MoneyMode.PLEDGE,
        payment_deadline=PAY,
        offer_deadline=OFFER,
        second_chances=2,
        defaults_to_bar=2,
    ),
)


@pytest.fixture
def house(db: SqliteStore, clock: ManualClock, reminders: RecordingTimer) -> AuctionHouse:
    return make_core(db, clock, reminders, PLEDGE).house


async def drain(db: SqliteStore, clock: ManualClock) -> list[OutboxMessage]:
    """Every message queued since the last drain (each marked delivered)."""

    def take(uow: UnitOfWork) -> list[OutboxMessage]:
        taken: list[OutboxMessage] = []
        while True:
            batch = uow.outbox.claim(
                by="test", now=clock.now() + timedelta(days=365), lease=timedelta(hours=1),
                limit=500,
            )  # fmt: skip
            if not batch:
                return taken
            for message in batch:
                uow.outbox.mark_delivered(message.id, clock.now(), by="test")
            taken.extend(batch)

    return await db.write(take)


def of(messages: list[OutboxMessage], kind: MessageKind) -> list[dict[str, object]]:
    return [m.payload for m in messages if m.kind is kind]


def events(messages: list[OutboxMessage]) -> list[str]:
    return [str(p["event"]) for p in of(messages, MessageKind.SETTLEMENT_NOTICE)]


async def steps(db: SqliteStore, auction_id: int) -> list[SettlementStep]:
    return await db.read(lambda uow: uow.settlements.steps(auction_id))


async def status(db: SqliteStore, auction_id: int) -> SettlementStatus:
    settlement = await db.read(lambda uow: uow.settlements.get(auction_id))
    assert settlement is not None
    return settlement.status


async def sold(
    house: AuctionHouse, clock: ManualClock, handle: str, *, reserve: int | None = None
) -> int:
    """A pledge auction ended after bids: ALICE wins; CAROL's secret maximum 500 is the
    next highest, then BOB's 260; DAVE's 120 is below a reserve of 250; ERIN's 700 is voided."""
    view = await house.start_auction(
        GUILD, MOD, handle, starting_bid=100, duration="1h", reserve=reserve
    )
    await house.bid_on_handle(GUILD, DAVE, handle, 120)
    await house.bid_on_handle(GUILD, BOB, handle, 260)
    await house.bid_on_handle(GUILD, CAROL, handle, 280, maximum=500)
    await house.bid_on_handle(GUILD, ALICE, handle, 600)
    await house.bid_on_handle(GUILD, ERIN, handle, 700)
    await house.void_bids(GUILD, MOD, handle, ERIN.user_id, "shill bidding")
    clock.advance(timedelta(hours=2))
    closed = await house.close_if_due(view.id)
    assert closed is not None and closed.outcome is Outcome.SOLD
    assert closed.winner_id == ALICE.user_id
    return view.id


async def test_a_pledge_close_opens_a_settlement_and_records_no_sale(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    closed_at = clock.now()
    [step] = await steps(db, auction_id)
    assert (step.round, step.member_id, step.state) == (
        0,
        ALICE.user_id,
        StepState.AWAITING_PAYMENT,
    )
    assert step.price == 600 and step.due_at == closed_at + PAY
    assert await status(db, auction_id) is SettlementStatus.DUE
    with pytest.raises(AuctionNotFound):
        await house.stock.owner(GUILD, "abc")
    messages = await drain(db, clock)
    [winner] = of(messages, MessageKind.WINNER_NOTICE)
    assert winner["due_at"] == int((closed_at + PAY).timestamp())
    assert events(messages)[-1] == "sold"
    # Not listable again while it is being settled.
    with pytest.raises(HandleUnavailable, match="being settled"):
        await house.start_auction(GUILD, MOD, "abc", starting_bid=10, duration="1h")


async def test_a_none_mode_auction_still_sells_at_the_close(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    house = make_core(db, clock, reminders).house
    view = await house.start_auction(GUILD, MOD, "plain", starting_bid=100, duration="1h")
    await house.bid_on_handle(GUILD, ALICE, "plain", 100)
    clock.advance(timedelta(hours=2))
    await house.close_if_due(view.id)
    assert (await house.stock.owner(GUILD, "plain"))[0].winner_id == ALICE.user_id
    assert await steps(db, view.id) == []


async def test_paid_records_the_sale_for_the_buyer_once(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "100", "", "", "", ""]]))
    auction_id = await sold(house, clock, "abc")
    item = (await house.stock.show(GUILD, MOD, "abc")).item
    assert item.status is ItemStatus.IN_AUCTION  # not sold until paid
    await drain(db, clock)
    with pytest.raises(NotPermitted):
        await house.settling.mark_paid(GUILD, ALICE, handle="abc")
    with pytest.raises(SettlementError, match="No payment is due for `@nope`"):
        await house.settling.mark_paid(GUILD, MOD, handle="nope")
    clock.advance(timedelta(hours=1))
    receipt = await house.settling.mark_paid(GUILD, MOD, handle="@ABC", why="paid by bank")
    assert (receipt.member_id, receipt.price, receipt.round) == (ALICE.user_id, 600, 0)
    sale, _ = await house.stock.owner(GUILD, "abc")
    assert (sale.winner_id, sale.price, sale.sold_at) == (ALICE.user_id, 600, clock.now())
    assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.SOLD
    assert await status(db, auction_id) is SettlementStatus.PAID
    [step] = await steps(db, auction_id)
    assert (step.state, step.decided_by) == (StepState.PAID, MOD.user_id)
    messages = await drain(db, clock)
    assert events(messages) == ["paid"]
    assert [p["event"] for p in of(messages, MessageKind.SETTLEMENT_DM)] == ["paid"]
    with pytest.raises(SettlementError):
        await house.settling.mark_paid(GUILD, MOD, handle="abc")
    with pytest.raises(SettlementError, match="no longer due"):
        await house.settling.mark_paid(GUILD, MOD, step_id=step.id)
    # The deadline passing later changes nothing.
    clock.advance(PAY)
    assert await house.settling.sweep() == 0
    assert await drain(db, clock) == []


async def test_default_offers_the_next_bidder_at_their_own_highest_bid(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc", reserve=250)
    await drain(db, clock)
    clock.advance(PAY - timedelta(seconds=1))
    assert await house.settling.sweep() == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert await house.settling.sweep() == 1
    winner, offer = await steps(db, auction_id)
    assert winner.state is StepState.DEFAULTED and winner.decided_at == clock.now()
    # ERIN's higher bid was voided: CAROL, at her secret maximum.
    assert (offer.round, offer.member_id, offer.price) == (1, CAROL.user_id, 500)
    assert (offer.state, offer.due_at) == (StepState.OFFERED, clock.now() + OFFER)
    standing = await db.read(lambda uow: uow.settlements.standing(GUILD, ALICE.user_id))
    assert (standing.defaults, standing.barred) == (1, False)
    messages = await drain(db, clock)
    assert events(messages) == ["defaulted", "offered"]
    [dm] = of(messages, MessageKind.SETTLEMENT_DM)
    assert (dm["event"], dm["user_id"], dm["step_id"]) == ("offer", CAROL.user_id, offer.id)
    # CAROL declines: BOB next; DAVE is below the reserve and the offers are used up.
    await house.settling.answer_offer(offer.id, CAROL.user_id, accept=False)
    third = (await steps(db, auction_id))[-1]
    assert (third.round, third.member_id, third.price) == (2, BOB.user_id, 260)
    assert events(await drain(db, clock)) == ["declined", "offered"]
    clock.advance(OFFER)
    assert await house.settling.sweep() == 1
    assert (await steps(db, auction_id))[-1].state is StepState.EXPIRED
    assert await status(db, auction_id) is SettlementStatus.UNSOLD
    assert events(await drain(db, clock)) == ["expired", "unsold"]
    # Declines and expiries count no default.
    for member in (CAROL, BOB):
        standing = await db.read(lambda uow, m=member: uow.settlements.standing(GUILD, m.user_id))
        assert standing.defaults == 0
    # Unsold: the handle may be listed again.
    await house.start_auction(GUILD, MOD, "abc", starting_bid=10, duration="1h")


async def test_bids_below_the_reserve_get_no_offer_and_unsold_returns_to_the_inventory(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "100", "", "", "", ""]]))
    view = await house.start_auction(
        GUILD, MOD, "abc", starting_bid=100, duration="1h", reserve=300
    )
    await house.bid_on_handle(GUILD, BOB, "abc", 250)
    await house.bid_on_handle(GUILD, ALICE, "abc", 400)
    clock.advance(timedelta(hours=2))
    await house.close_if_due(view.id)
    await drain(db, clock)
    clock.advance(PAY)
    await house.settling.sweep()
    assert [s.member_id for s in await steps(db, view.id)] == [ALICE.user_id]
    assert await status(db, view.id) is SettlementStatus.UNSOLD
    assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.AVAILABLE
    messages = await drain(db, clock)
    assert events(messages) == ["defaulted", "unsold"]
    assert of(messages, MessageKind.SETTLEMENT_NOTICE)[-1]["inventory"] is True


async def test_an_accepted_offer_is_paid_as_a_second_chance_sale_or_defaults(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    clock.advance(PAY)
    await house.settling.sweep()
    offer = (await steps(db, auction_id))[-1]
    await drain(db, clock)
    clock.advance(timedelta(hours=1))
    accepted = await house.settling.answer_offer(offer.id, CAROL.user_id, accept=True)
    assert (accepted.state, accepted.due_at) == (StepState.AWAITING_PAYMENT, clock.now() + PAY)
    messages = await drain(db, clock)
    assert events(messages) == ["accepted"]
    assert [p["event"] for p in of(messages, MessageKind.SETTLEMENT_DM)] == ["accepted"]
    # The offer's own deadline passing does not expire an accepted offer.
    clock.advance(OFFER)
    assert await house.settling.sweep() == 0
    receipt = await house.settling.mark_paid(GUILD, MOD, step_id=offer.id)
    assert (receipt.member_id, receipt.price, receipt.round) == (CAROL.user_id, 500, 1)
    sale, _ = await house.stock.owner(GUILD, "abc")
    assert (sale.winner_id, sale.price) == (CAROL.user_id, 500)


async def test_a_default_after_accepting_counts(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    clock.advance(PAY)
    await house.settling.sweep()
    offer = (await steps(db, auction_id))[-1]
    await house.settling.answer_offer(offer.id, CAROL.user_id, accept=True)
    clock.advance(PAY)
    assert await house.settling.sweep() == 1
    standing = await db.read(lambda uow: uow.settlements.standing(GUILD, CAROL.user_id))
    assert standing.defaults == 1
    assert (await steps(db, auction_id))[-1].member_id == BOB.user_id


async def test_only_the_offered_member_answers_once_before_the_deadline(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    clock.advance(PAY)
    await house.settling.sweep()
    offer = (await steps(db, auction_id))[-1]
    with pytest.raises(NotPermitted, match="another member"):
        await house.settling.answer_offer(offer.id, BOB.user_id, accept=True)
    with pytest.raises(SettlementError, match="nothing can be paid until they accept"):
        await house.settling.mark_paid(GUILD, MOD, handle="abc")
    await house.settling.answer_offer(offer.id, CAROL.user_id, accept=True)
    with pytest.raises(SettlementError, match="accepted this offer for @abc already"):
        await house.settling.answer_offer(offer.id, CAROL.user_id, accept=False)
    # A later offer pressed after its deadline (before any sweep) is refused and expires.
    clock.advance(PAY)
    await house.settling.sweep()  # CAROL defaults; BOB is offered
    second = (await steps(db, auction_id))[-1]
    clock.advance(OFFER)
    with pytest.raises(SettlementError, match="expired"):
        await house.settling.answer_offer(second.id, BOB.user_id, accept=True)
    assert (await steps(db, auction_id))[-1].state is StepState.OFFERED
    await house.settling.sweep()
    assert (await steps(db, auction_id))[-1].state is StepState.EXPIRED
    with pytest.raises(SettlementError, match="expired"):
        await house.settling.answer_offer(second.id, BOB.user_id, accept=True)


async def test_defaults_bar_a_member_from_every_bid_path_until_unbarred(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    for handle in ("one", "two"):
        view = await house.start_auction(GUILD, MOD, handle, starting_bid=100, duration="1h")
        await house.bid_on_handle(GUILD, ALICE, handle, 100)
        clock.advance(timedelta(hours=2))
        await house.close_if_due(view.id)
    clock.advance(PAY)
    assert await house.settling.sweep() == 2
    messages = await drain(db, clock)
    defaulted = [
        p for p in of(messages, MessageKind.SETTLEMENT_NOTICE) if p["event"] == "defaulted"
    ]
    assert [p["barred"] for p in defaulted] == [False, True]
    other = await house.start_auction(GUILD, MOD, "three", starting_bid=100, duration="1h", buy_now=500)  # fmt: skip
    refusal = "barred from bidding on this server after 2 unpaid wins"
    with pytest.raises(BidRefused, match=refusal):
        await house.bid_on_handle(GUILD, ALICE, "three", 100)
    with pytest.raises(BidRefused, match=refusal):
        await house.bid_on_auction(GUILD, ALICE, other.id, 200, maximum=300)
    with pytest.raises(BidRefused, match=refusal):
        await house.bid_on_auction(GUILD, ALICE, other.id, 500)  # buy now
    await house.bid_on_handle(GUILD, BOB, "three", 100)  # others bid as before
    with pytest.raises(NotPermitted):
        await house.settling.unbar(GUILD, BOB, ALICE.user_id, "please")
    with pytest.raises(SettlementError, match="not barred"):
        await house.settling.unbar(GUILD, MOD, BOB.user_id, "by mistake")
    assert await house.settling.unbar(GUILD, MOD, ALICE.user_id, "paid up since") == 2
    assert events(await drain(db, clock)) == ["unbarred"]
    await house.bid_on_handle(GUILD, ALICE, "three", 200)
    standing = await db.read(lambda uow: uow.settlements.standing(GUILD, ALICE.user_id))
    assert (standing.defaults, standing.barred) == (0, False)


async def test_a_member_barred_has_their_live_bids_voided_so_no_maximum_bids_for_them(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    for handle in ("one", "two"):
        view = await house.start_auction(GUILD, MOD, handle, starting_bid=100, duration="1h")
        await house.bid_on_handle(GUILD, ALICE, handle, 100)
        clock.advance(timedelta(hours=2))
        await house.close_if_due(view.id)
    # Before the second default bars her, Alice leads an open auction with a secret maximum.
    running = await house.start_auction(GUILD, MOD, "running", starting_bid=100, duration="9d")
    await house.bid_on_handle(GUILD, BOB, "running", 100)
    await house.bid_on_handle(GUILD, ALICE, "running", 150, maximum=5_000)
    clock.advance(PAY)
    assert await house.settling.sweep() == 2
    view = await house.get_by_id(running.id)
    assert (view.leader_id, view.price) == (BOB.user_id, 100)  # her bids no longer count
    # Carol outbids Bob: Alice's old maximum answers nothing for her.
    receipt = await house.bid_on_handle(GUILD, CAROL, "running", 1_000)
    assert receipt.auction.leader_id == CAROL.user_id
    voids = await db.on_connection(
        lambda c: c.execute(
            "SELECT actor_id, reason FROM audit_log WHERE action = 'void' ORDER BY id"
        ).fetchall()
    )
    assert voids == [(0, "barred after 2 unpaid wins")]


async def test_a_member_barred_after_an_offer_cannot_accept_it_but_can_decline(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    clock.advance(PAY)
    await house.settling.sweep()
    offer = (await steps(db, auction_id))[-1]
    assert offer.member_id == CAROL.user_id
    await db.write(lambda uow: uow.settlements.add_default(GUILD, CAROL.user_id))
    await db.write(lambda uow: uow.settlements.bar(GUILD, CAROL.user_id, clock.now()))
    with pytest.raises(BidRefused, match="barred from bidding"):
        await house.settling.answer_offer(offer.id, CAROL.user_id, accept=True)
    declined = await house.settling.answer_offer(offer.id, CAROL.user_id, accept=False)
    assert declined.state is StepState.DECLINED
    assert (await steps(db, auction_id))[-1].member_id == BOB.user_id


async def test_a_barred_member_is_offered_nothing(
    house: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    auction_id = await sold(house, clock, "abc")
    await db.write(lambda uow: uow.settlements.add_default(GUILD, CAROL.user_id))
    await db.write(lambda uow: uow.settlements.bar(GUILD, CAROL.user_id, clock.now()))
    clock.advance(PAY)
    await house.settling.sweep()
    assert (await steps(db, auction_id))[-1].member_id == BOB.user_id


async def test_an_overdue_step_is_decided_at_once_after_a_restart_and_only_once(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    house = make_core(db, clock, reminders, PLEDGE).house
    auction_id = await sold(house, clock, "abc")
    await drain(db, clock)
    clock.advance(PAY + timedelta(hours=5))  # the bot was down past the deadline
    restarted = make_core(db, clock, RecordingTimer(), PLEDGE).house
    other = make_core(db, clock, RecordingTimer(), PLEDGE).house  # a second process
    results = await asyncio.gather(
        restarted.resume(), other.settling.advance_if_due((await steps(db, auction_id))[0].id)
    )
    assert results  # both ran
    winner, offer = await steps(db, auction_id)
    assert winner.state is StepState.DEFAULTED and offer.member_id == CAROL.user_id
    messages = await drain(db, clock)
    assert events(messages) == ["defaulted", "offered"]
    assert len(of(messages, MessageKind.SETTLEMENT_DM)) == 1
    assert await restarted.settling.sweep() == 0
    assert await other.settling.advance_if_due(winner.id) is None
    assert await drain(db, clock) == []
    standing = await db.read(lambda uow: uow.settlements.standing(GUILD, ALICE.user_id))
    assert standing.defaults == 1
