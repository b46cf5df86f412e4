"""Wallet mode through the facade, on both stores: credits and debits, escrow holds on the
bid, void, cancel and close paths, and the ledger's invariants under random sequences of
all of them (hypothesis) and under concurrency (200 members bidding on 10 auctions)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.auctions.escrow import UNDERFUNDED_VOID
from bot.auctions.house import AuctionHouse
from bot.auctions.read_models import BidReceipt
from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.auction import Outcome
from bot.domain.errors import (
    AuctionNotOpen,
    BidRefused,
    BidTooLow,
    InvalidAmount,
    InvalidInput,
    NothingToVoid,
    NotPermitted,
)
from bot.domain.ledger import REVENUE, SOURCE, Account, AccountKind, Movement, NotEnoughCredits
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode, PaymentRules
from bot.unit_of_work import Store
from tests.conftest import ALICE, BOB, CAROL, GUILD, MOD, SETTINGS, make_service
from tests.fakes import RecordingTimer

WALLET = replace(SETTINGS, payments=PaymentRules(mode=MoneyMode.WALLET))


@pytest.fixture
def house(db: Store, clock: ManualClock, reminders: RecordingTimer) -> AuctionHouse:
    return make_service(db, clock, reminders, WALLET)  # type: ignore[arg-type]


async def start(house: AuctionHouse, handle: str, guild: int = GUILD, **options: object) -> int:
    given: dict[str, object] = {"starting_bid": 100, "duration": "1h"} | options
    view = await house.start_auction(guild, MOD, handle, **given)  # type: ignore[arg-type]
    return view.id


async def holds(db: Store, auction_id: int, guild: int = GUILD) -> dict[int, int]:
    return await db.read(lambda uow: uow.ledger.holds_on(guild, auction_id))


async def available(db: Store, member: Actor, guild: int = GUILD) -> int:
    return (await db.read(lambda uow: uow.ledger.balance(guild, member.user_id))).available


async def check_ledger(db: Store, guild: int = GUILD) -> dict[Account, int]:
    """The invariants: issued - revoked = wallets + holds + revenue, nothing negative, and
    the cached balances are what the entries add up to."""
    balances = await db.read(lambda uow: uow.ledger.balances(guild))
    assert await db.read(lambda uow: uow.ledger.replay_check(guild)) == []
    issued = balances.get(SOURCE, 0)
    assert issued == sum(v for a, v in balances.items() if a.kind is not AccountKind.SOURCE)
    assert all(v >= 0 for v in balances.values())
    return balances


async def check_holds_follow_leaders(db: Store, ids: list[int], guild: int = GUILD) -> None:
    """Only each open auction's leader holds, exactly their cap; a finished one holds nothing."""
    for auction_id in ids:
        auction = await db.read(lambda uow, a=auction_id: uow.auctions.get(a))
        held = await holds(db, auction_id, guild)
        if auction.is_open and auction.standing.leader_id is not None:
            assert held == {auction.standing.leader_id: auction.standing.leader_max}
        else:
            assert held == {}


# -- moderators' credits and debits ---------------------------------------------------------


async def test_a_credit_is_audited_copied_to_the_audit_channel_and_shown(
    db: Store, house: AuctionHouse
) -> None:
    change = await house.credit(GUILD, MOD, ALICE.user_id, 5_000, "  season   prize ")
    assert change.balance.available == 5_000
    view = await house.wallet(GUILD, ALICE.user_id)
    assert (view.balance.available, view.balance.held, view.entries) == (5_000, 0, 1)
    (entry,) = view.recent
    assert (entry.movement, entry.amount, entry.reason, entry.actor_id) == (
        Movement.GRANT, 5_000, "season prize", MOD.user_id,
    )  # fmt: skip
    audit = await db.on_connection(  # type: ignore[attr-defined]
        lambda c: c.execute("SELECT actor_id, action, detail, reason FROM audit_log").fetchall()
    )
    assert [tuple(r) for r in audit] == [
        (MOD.user_id, "credit", "credited 5,000 credits to member 10; now 5,000 credits available",
         "season prize"),
    ]  # fmt: skip
    kinds = await db.on_connection(  # type: ignore[attr-defined]
        lambda c: [r[0] for r in c.execute("SELECT kind FROM outbox").fetchall()]
    )
    assert kinds == ["moderator_action"]
    await check_ledger(db)


async def test_credits_and_debits_are_refused_unless_right(db: Store, house: AuctionHouse) -> None:
    with pytest.raises(NotPermitted):
        await house.credit(GUILD, ALICE, ALICE.user_id, 100, "me")
    with pytest.raises(NotPermitted):
        await house.debit(GUILD, ALICE, BOB.user_id, 100, "you")
    for amount in (0, -5, 10**12 + 1):
        with pytest.raises(InvalidAmount, match="between 1 and"):
            await house.credit(GUILD, MOD, ALICE.user_id, amount, "x")
    with pytest.raises(InvalidInput, match="reason"):
        await house.credit(GUILD, MOD, ALICE.user_id, 100, "   ")
    with pytest.raises(InvalidInput, match="too long"):
        await house.credit(GUILD, MOD, ALICE.user_id, 100, "x" * 301)
    with pytest.raises(InvalidInput, match="Bots have no wallet"):
        await house.credit(GUILD, MOD, 999, 100, "bot", member_is_bot=True)
    with pytest.raises(InvalidAmount, match="only 0 credits available"):
        await house.debit(GUILD, MOD, ALICE.user_id, 1, "nothing there")
    assert await db.read(lambda uow: uow.ledger.all_entries(GUILD)) == []
    assert (
        await db.on_connection(  # type: ignore[attr-defined]
            lambda c: c.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        )
        == 0
    )


async def test_a_debit_never_takes_what_bids_hold(db: Store, house: AuctionHouse) -> None:
    await house.credit(GUILD, MOD, ALICE.user_id, 1_000, "start")
    auction = await start(house, "held")
    await house.bid_on_handle(GUILD, ALICE, "held", 300, 700)
    with pytest.raises(InvalidAmount) as refused:
        await house.debit(GUILD, MOD, ALICE.user_id, 301, "too much")
    assert str(refused.value) == (
        "That member has only 300 credits available (700 credits more are held by their "
        "leading bids, and a debit never takes those): a debit can take at most 300 credits."
    )
    change = await house.debit(GUILD, MOD, ALICE.user_id, 300, "correction")
    assert (change.balance.available, change.balance.held) == (0, 700)
    assert await holds(db, auction) == {ALICE.user_id: 700}
    balances = await check_ledger(db)
    assert balances[SOURCE] == 700


async def test_a_credit_is_allowed_before_the_server_uses_wallets(
    db: Store, clock: ManualClock, reminders: RecordingTimer
) -> None:
    house = make_service(db, clock, reminders)  # type: ignore[arg-type]
    empty = await house.wallet(GUILD, ALICE.user_id)
    assert (empty.mode, empty.entries) == (MoneyMode.NONE, 0)
    await house.credit(GUILD, MOD, ALICE.user_id, 50, "ahead of the switch")
    assert (await house.wallet(GUILD, ALICE.user_id)).balance.available == 50


# -- escrow ---------------------------------------------------------------------------------


async def test_the_leader_holds_their_cap_and_an_outbid_is_released_at_once(
    db: Store, house: AuctionHouse
) -> None:
    for member in (ALICE, BOB):
        await house.credit(GUILD, MOD, member.user_id, 2_000, "start")
    auction = await start(house, "og")
    await house.bid_on_handle(GUILD, ALICE, "og", 100)
    assert await holds(db, auction) == {ALICE.user_id: 100}
    # Raising the maximum raises the hold.
    await house.bid_on_handle(GUILD, ALICE, "og", 500, 800)
    assert await holds(db, auction) == {ALICE.user_id: 800}
    assert await available(db, ALICE) == 1_200
    # A bid the leader's maximum answers holds nothing for the challenger.
    proxy = await house.bid_on_handle(GUILD, BOB, "og", 600)
    assert proxy.auction.leader_id == ALICE.user_id
    assert await holds(db, auction) == {ALICE.user_id: 800}
    assert await available(db, BOB) == 2_000
    # Outbid: Alice is released in the same transaction as Bob's hold.
    await house.bid_on_handle(GUILD, BOB, "og", 900, 1_500)
    assert await holds(db, auction) == {BOB.user_id: 1_500}
    assert (await available(db, ALICE), await available(db, BOB)) == (2_000, 500)
    alice = await house.wallet(GUILD, ALICE.user_id)
    assert [e.movement for e in alice.recent] == [
        Movement.RELEASE, Movement.HOLD, Movement.HOLD, Movement.GRANT,
    ]  # fmt: skip
    assert alice.recent[0].handle == "og"
    await check_ledger(db)


async def test_a_bid_beyond_the_available_credits_is_refused_with_the_numbers(
    db: Store, house: AuctionHouse
) -> None:
    await house.credit(GUILD, MOD, ALICE.user_id, 4_250, "start")
    await start(house, "one")
    await start(house, "two")
    await start(house, "three")
    await house.bid_on_handle(GUILD, ALICE, "one", 100, 2_000)
    await house.bid_on_handle(GUILD, ALICE, "two", 100, 1_000)
    before = await db.read(lambda uow: uow.ledger.all_entries(GUILD))
    with pytest.raises(NotEnoughCredits) as refused:
        await house.bid_on_handle(GUILD, ALICE, "three", 2_000)
    assert str(refused.value) == (
        "You have 1,250 credits available (3,000 held in 2 auctions); this bid needs 2,000."
    )
    # Nothing changed: no bid, no entry.
    assert (await house.get_auction(GUILD, "three")).bid_count == 0
    assert await db.read(lambda uow: uow.ledger.all_entries(GUILD)) == before
    # Raising a maximum counts what this auction already holds.
    with pytest.raises(NotEnoughCredits, match="You have 3,250 credits available"):
        await house.bid_on_handle(GUILD, ALICE, "one", 100, 3_251)
    await house.bid_on_handle(GUILD, ALICE, "one", 100, 3_250)
    assert (await available(db, ALICE)) == 0
    # Someone with no wallet at all is refused too, through a post's button as by /bid.
    three = (await house.get_auction(GUILD, "three")).id
    with pytest.raises(NotEnoughCredits, match="You have 0 credits available; this bid needs"):
        await house.bid_on_auction(GUILD, CAROL, three, 100)
    await check_ledger(db)


async def test_the_close_captures_the_final_price_never_the_maximum(
    db: Store, house: AuctionHouse
) -> None:
    for member in (ALICE, BOB):
        await house.credit(GUILD, MOD, member.user_id, 3_000, "start")
    auction = await start(house, "sold")
    await house.bid_on_handle(GUILD, ALICE, "sold", 100, 2_500)
    await house.bid_on_handle(GUILD, BOB, "sold", 1_000)
    closed = await house.end_now(GUILD, MOD, "sold")
    assert closed.outcome is Outcome.SOLD
    assert closed.price == 1_050  # Bob's 1,000 answered by Alice's maximum
    assert await holds(db, auction) == {}
    balances = await check_ledger(db)
    assert balances[REVENUE] == 1_050
    assert (await available(db, ALICE), await available(db, BOB)) == (3_000 - 1_050, 3_000)
    captures = [
        e for e in await db.read(lambda uow: uow.ledger.all_entries(GUILD))
        if e.movement is Movement.CAPTURE
    ]  # fmt: skip
    assert [(c.member_id, c.amount, c.auction_id) for c in captures] == [
        (ALICE.user_id, 1_050, auction)
    ]


async def test_buy_now_captures_at_once_and_a_reserve_not_met_releases(
    db: Store, house: AuctionHouse
) -> None:
    await house.credit(GUILD, MOD, ALICE.user_id, 10_000, "start")
    await start(house, "fast", buy_now=900)
    receipt = await house.bid_on_handle(GUILD, ALICE, "fast", 950, 5_000)
    assert receipt.auction.outcome is Outcome.SOLD
    assert (await check_ledger(db))[REVENUE] == 900
    assert await available(db, ALICE) == 9_100
    short = await start(house, "short", reserve=5_000)
    await house.bid_on_handle(GUILD, ALICE, "short", 200, 1_000)
    assert await holds(db, short) == {ALICE.user_id: 1_000}
    closed = await house.end_now(GUILD, MOD, "short")
    assert closed.outcome is Outcome.RESERVE_NOT_MET
    assert await holds(db, short) == {}
    assert await available(db, ALICE) == 9_100
    assert (await check_ledger(db))[REVENUE] == 900


async def test_a_cancel_releases_the_hold(db: Store, house: AuctionHouse) -> None:
    await house.credit(GUILD, MOD, ALICE.user_id, 1_000, "start")
    auction = await start(house, "gone")
    await house.bid_on_handle(GUILD, ALICE, "gone", 400)
    await house.cancel(GUILD, MOD, "gone", "listed by mistake")
    assert await holds(db, auction) == {}
    assert await available(db, ALICE) == 1_000
    await check_ledger(db)


async def test_a_void_restores_the_previous_leader_with_their_hold(
    db: Store, house: AuctionHouse
) -> None:
    for member in (ALICE, BOB):
        await house.credit(GUILD, MOD, member.user_id, 2_000, "start")
    auction = await start(house, "void")
    await house.bid_on_handle(GUILD, ALICE, "void", 100, 600)
    await house.bid_on_handle(GUILD, BOB, "void", 700)
    assert await holds(db, auction) == {BOB.user_id: 700}
    receipt = await house.void_bids(GUILD, MOD, "void", BOB.user_id, "shill bid")
    assert receipt.auction.leader_id == ALICE.user_id
    assert await holds(db, auction) == {ALICE.user_id: 600}
    assert (await available(db, ALICE), await available(db, BOB)) == (1_400, 2_000)
    await check_ledger(db)


async def test_a_restored_leader_short_of_their_maximum_holds_what_they_have(
    db: Store, house: AuctionHouse
) -> None:
    await house.credit(GUILD, MOD, ALICE.user_id, 1_000, "start")
    await house.credit(GUILD, MOD, BOB.user_id, 5_000, "start")
    auction = await start(house, "short")
    await start(house, "elsewhere")
    await house.bid_on_handle(GUILD, ALICE, "short", 100, 900)
    await house.bid_on_handle(GUILD, BOB, "short", 1_000)  # Alice is released
    await house.bid_on_handle(GUILD, ALICE, "elsewhere", 300)  # and spends some elsewhere
    await house.void_bids(GUILD, MOD, "short", BOB.user_id, "shill")
    # Alice's 900 maximum is more than her 700 available: she is held 700, still above the
    # price (100), and her maximum on this auction becomes those 700.
    assert await holds(db, auction) == {ALICE.user_id: 700}
    stored = await db.read(lambda uow: uow.auctions.get(auction))
    assert (stored.standing.leader_id, stored.standing.leader_max, stored.standing.price) == (
        ALICE.user_id, 700, 100,
    )  # fmt: skip
    assert await available(db, ALICE) == 0
    await check_ledger(db)


async def test_a_restored_leader_who_cannot_cover_the_price_is_voided_too(
    db: Store, house: AuctionHouse
) -> None:
    for member, credits in ((ALICE, 1_000), (BOB, 5_000), (CAROL, 5_000)):
        await house.credit(GUILD, MOD, member.user_id, credits, "start")
    auction = await start(house, "chain")
    await start(house, "elsewhere")
    await house.bid_on_handle(GUILD, CAROL, "chain", 100)
    await house.bid_on_handle(GUILD, ALICE, "chain", 500, 900)
    await house.bid_on_handle(GUILD, BOB, "chain", 1_000)
    await house.bid_on_handle(GUILD, ALICE, "elsewhere", 800)  # Alice keeps 200
    await house.void_bids(GUILD, MOD, "chain", BOB.user_id, "shill")
    # Replayed, Alice leads at 500 but has 200: her bids are voided and Carol leads again.
    stored = await db.read(lambda uow: uow.auctions.get(auction))
    assert stored.standing.leader_id == CAROL.user_id
    assert await holds(db, auction) == {CAROL.user_id: 100}
    bids = await db.read(lambda uow: uow.auctions.bids(auction))
    assert {(b.bidder_id, b.void_reason) for b in bids if b.voided} == {
        (BOB.user_id, "shill"), (ALICE.user_id, UNDERFUNDED_VOID),
    }  # fmt: skip
    actions = await db.on_connection(  # type: ignore[attr-defined]
        lambda c: [
            tuple(r)
            for r in c.execute(
                "SELECT action, reason FROM audit_log WHERE action = 'void' ORDER BY id"
            )
        ]
    )
    assert actions == [("void", UNDERFUNDED_VOID), ("void", "shill")]
    await check_ledger(db)


async def test_auctions_not_in_wallet_mode_touch_no_credits(
    db: Store, clock: ManualClock, reminders: RecordingTimer
) -> None:
    plain = make_service(db, clock, reminders)  # type: ignore[arg-type]
    await start(plain, "free")
    receipt = await plain.bid_on_handle(GUILD, ALICE, "free", 5_000)
    assert receipt.auction.leader_id == ALICE.user_id
    await plain.end_now(GUILD, MOD, "free")
    assert await db.read(lambda uow: uow.ledger.balances(GUILD)) == {}
    # An auction keeps the mode it started under: switching the server to wallet mode
    # changes only what starts afterwards.
    before = await start(plain, "before")
    await plain.set_setting(GUILD, MOD, "money.mode", "wallet")
    await plain.bid_on_auction(GUILD, ALICE, before, 100)
    await start(plain, "after")
    with pytest.raises(NotEnoughCredits):
        await plain.bid_on_handle(GUILD, ALICE, "after", 100)


# -- invariants under random sequences ------------------------------------------------------

MEMBERS = (Actor(user_id=501), Actor(user_id=502), Actor(user_id=503), Actor(user_id=504))
HANDLES = ("alpha", "beta", "gamma")
BID = st.tuples(
    st.just("bid"), st.sampled_from(MEMBERS), st.sampled_from(HANDLES),
    st.integers(0, 400), st.one_of(st.none(), st.integers(0, 1_500)),
)  # fmt: skip
OPS = st.one_of(  # bids three times as often as anything else
    BID, BID, BID,
    st.tuples(st.just("grant"), st.sampled_from(MEMBERS), st.integers(1, 3_000)),
    st.tuples(st.just("debit"), st.sampled_from(MEMBERS), st.integers(1, 2_000)),
    st.tuples(st.just("cancel"), st.sampled_from(HANDLES)),
    st.tuples(st.just("void"), st.sampled_from(MEMBERS), st.sampled_from(HANDLES)),
    st.tuples(st.just("close"), st.sampled_from(HANDLES)),
)  # fmt: skip
FUNDS = st.lists(st.integers(0, 4_000), min_size=len(MEMBERS), max_size=len(MEMBERS))
_guilds = itertools.count(10_000)


async def _money(db: Store, house: AuctionHouse, guild: int, op: tuple[object, ...]) -> None:
    kind, member, amount = op
    assert isinstance(member, Actor) and isinstance(amount, int)
    have = await available(db, member, guild)
    if kind == "grant":
        await house.credit(guild, MOD, member.user_id, amount, "property")
    elif amount > have:
        with pytest.raises(InvalidAmount):
            await house.debit(guild, MOD, member.user_id, amount, "property")
    else:
        await house.debit(guild, MOD, member.user_id, amount, "property")


async def _bid(
    db: Store, house: AuctionHouse, guild: int, auction_id: int, op: tuple[object, ...]
) -> None:
    _, member, _, over, extra = op
    assert isinstance(member, Actor) and isinstance(over, int)
    amount = (await house.get_by_id(auction_id)).minimum_bid + over
    maximum = None if not isinstance(extra, int) else amount + extra
    cap = maximum or amount
    before = await db.read(lambda uow: uow.ledger.balance(guild, member.user_id))
    try:
        await house.bid_on_auction(guild, member, auction_id, amount, maximum)
    except NotEnoughCredits:
        assert before.spendable_on(auction_id) < cap
    except (BidRefused, AuctionNotOpen):
        pass
    else:  # never committed beyond what they had
        assert before.spendable_on(auction_id) >= cap


async def _close(db: Store, house: AuctionHouse, guild: int, handle: str) -> None:
    before = (await check_ledger(db, guild)).get(REVENUE, 0)
    try:
        closed = await house.end_now(guild, MOD, handle)
    except AuctionNotOpen:
        return
    revenue = (await check_ledger(db, guild)).get(REVENUE, 0)
    # The capture is the final price (never the maximum), and only for a sale.
    assert revenue - before == (closed.price if closed.outcome is Outcome.SOLD else 0)


@settings(
    max_examples=80, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(funds=FUNDS, ops=st.lists(OPS, min_size=5, max_size=40))
async def test_the_ledger_invariants_hold_after_any_sequence(
    db: Store, house: AuctionHouse, funds: list[int], ops: list[tuple[object, ...]]
) -> None:
    guild = next(_guilds)  # each example on a server of its own, in the one database
    ids = {h: await start(house, h, guild) for h in HANDLES}
    for member, credits in zip(MEMBERS, funds, strict=True):
        if credits:
            await house.credit(guild, MOD, member.user_id, credits, "to start with")
    for op in ops:
        kind = op[0]
        if kind in ("grant", "debit"):
            await _money(db, house, guild, op)
        elif kind == "bid":
            await _bid(db, house, guild, ids[str(op[2])], op)
        elif kind == "cancel":
            with contextlib.suppress(AuctionNotOpen):
                await house.cancel(guild, MOD, str(op[1]), "property")
        elif kind == "void":
            member = op[1]
            assert isinstance(member, Actor)
            with contextlib.suppress(AuctionNotOpen, NothingToVoid):
                await house.void_bids(guild, MOD, str(op[2]), member.user_id, "property")
        else:
            await _close(db, house, guild, str(op[1]))
        await check_ledger(db, guild)
        await check_holds_follow_leaders(db, list(ids.values()), guild)


# -- concurrency ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bidder:
    actor: Actor
    credits: int
    extra: int  # the maximum above the bid


async def test_200_members_bidding_at_once_on_10_auctions(db: Store, house: AuctionHouse) -> None:
    rng = random.Random(11)
    ids = [await start(house, f"hot{n}") for n in range(10)]
    bidders = []
    for n in range(200):
        # Some have plenty, some enough for one bid of the two they make at once (150: the
        # opening bid and 50 more), some too little for any.
        credits = rng.choice([50, 150, 1_000, 1_000, 100_000, 100_000])
        bidders.append(Bidder(Actor(user_id=2_000 + n), credits, rng.choice([0, 50, 400])))
        await house.credit(GUILD, MOD, 2_000 + n, credits, "concurrency")

    async def bid(bidder: Bidder, auction_id: int) -> BidReceipt | NotEnoughCredits:
        """Bid the minimum, again while someone else's bid got there first."""
        for _ in range(500):
            minimum = (await house.get_by_id(auction_id)).minimum_bid
            try:
                return await house.bid_on_auction(
                    GUILD, bidder.actor, auction_id, minimum, minimum + bidder.extra
                )
            except BidTooLow:
                continue
            except NotEnoughCredits as refused:
                return refused
        raise AssertionError("a bid never got in")

    # Every member bids on two auctions at once: 400 bids in flight together.
    tasks = [bid(b, a) for b in bidders for a in rng.sample(ids, 2)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    receipts = [r for r in results if isinstance(r, BidReceipt)]
    refusals = [r for r in results if isinstance(r, NotEnoughCredits)]
    assert len(receipts) + len(refusals) == len(tasks), [
        r for r in results if not isinstance(r, BidReceipt | NotEnoughCredits)
    ]
    assert receipts and refusals
    assert all(str(r).startswith("You have ") for r in refusals)
    # Every acknowledged bid is stored, and nothing else is.
    stored = []
    for auction_id in ids:
        stored += [b.id for b in await db.read(lambda uow, a=auction_id: uow.auctions.bids(a))]
    assert sorted(stored) == sorted(r.bid_id for r in receipts)
    balances = await check_ledger(db)
    await check_holds_follow_leaders(db, ids)
    for bidder in bidders:
        wallet = Account.wallet(bidder.actor.user_id)
        held = sum(
            v for a, v in balances.items()
            if a.kind is AccountKind.HOLD and a.member_id == bidder.actor.user_id
        )  # fmt: skip
        assert balances[wallet] + held == bidder.credits  # nothing captured yet
    assert balances[SOURCE] == sum(b.credits for b in bidders)


async def test_a_winner_holding_less_than_the_price_does_not_stop_the_close(
    db: Store, clock: ManualClock, reminders: RecordingTimer, caplog: pytest.LogCaptureFixture
) -> None:
    # Impossible through the bot: an auction made a wallet auction behind its back.
    plain = make_service(db, clock, reminders)  # type: ignore[arg-type]
    auction = await start(plain, "legacy")
    await plain.bid_on_handle(GUILD, ALICE, "legacy", 300)
    await db.on_connection(  # type: ignore[attr-defined]
        lambda c: c.execute("UPDATE auctions SET money = 'wallet' WHERE id = ?", (auction,))
    )
    closed = await plain.end_now(GUILD, MOD, "legacy")
    assert closed.outcome is Outcome.SOLD
    assert "holds 0, below the price 300" in caplog.text
    assert await db.read(lambda uow: uow.ledger.all_entries(GUILD)) == []


async def test_credits_in_all_stay_within_what_the_stores_can_count(
    db: Store, clock: ManualClock, reminders: RecordingTimer
) -> None:
    # A server may allow amounts up to 2**62; two members at that each would take the
    # server's credits in all (the source's balance) past a 64-bit integer.
    big = replace(WALLET, currency=Currency(name="credits", max_amount=2**62))
    house = make_service(db, clock, reminders, big)  # type: ignore[arg-type]
    await house.credit(GUILD, MOD, ALICE.user_id, 2**62, "first")
    await house.credit(GUILD, MOD, BOB.user_id, 2**62 - 1, "second")
    with pytest.raises(InvalidAmount, match="credits in all"):
        await house.credit(GUILD, MOD, CAROL.user_id, 1, "one too many")
    assert await available(db, CAROL) == 0
    balances = await check_ledger(db)
    assert balances[SOURCE] == 2**63 - 1
    assert all(type(v) is int for v in balances.values())
