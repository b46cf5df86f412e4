from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core
from bot.clock import ManualClock
from bot.domain.access import AccessPolicy, Actor
from bot.domain.auction import Effect, Outcome, Status
from bot.domain.errors import (
    AuctionNotFound,
    AuctionNotOpen,
    BidRefused,
    BidTooLow,
    HandleUnavailable,
    InvalidAmount,
    InvalidDuration,
    InvalidHandle,
    InvalidInput,
    NothingToVoid,
    NotPermitted,
)
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import (
    ALICE,
    BOB,
    CAROL,
    GUILD,
    INTEGRITY_ERRORS,
    MOD,
    OTHER_GUILD,
    SETTINGS,
    make_service,
    sqlite_only,
)
from tests.fakes import RecordingTimer


async def start(service: AuctionHouse, handle: str = "@OGName", **options: object) -> int:
    defaults: dict[str, object] = {"starting_bid": 100, "duration": "1h"}
    defaults.update(options)
    view = await service.start_auction(GUILD, MOD, handle, **defaults)  # type: ignore[arg-type]
    return view.id


async def table(db: SqliteStore, sql: str) -> list[tuple[object, ...]]:
    return await db.on_connection(lambda c: c.execute(sql).fetchall())


async def outbox_kinds(db: SqliteStore) -> list[str]:
    return [r[0] for r in await table(db, "SELECT kind FROM outbox ORDER BY id")]  # type: ignore[misc]


# -- starting -------------------------------------------------------------------------------


async def test_moderator_starts_an_auction(
    service: AuctionHouse, db: SqliteStore, reminders: RecordingTimer, clock: ManualClock
) -> None:
    view = await service.start_auction(
        GUILD,
        MOD,
        "@OGName",
        starting_bid=100,
        duration="2h",
        reserve=500,
        buy_now=5000,
        channel_id=77,
    )
    assert view.handle.display == "OGName"
    assert view.is_open
    assert view.minimum_bid == 100
    assert view.has_reserve and not view.reserve_met
    assert view.ends_at == clock.now() + timedelta(hours=2)
    assert view.channel_id == 77
    # Beyond the close timer's horizon: the sweep reminds it once it comes within.
    assert reminders.at(view.id) is None
    assert await outbox_kinds(db) == ["auction_opened", "moderator_action"]
    audit_rows = await table(db, "SELECT actor_id, action FROM audit_log")
    assert audit_rows == [(MOD.user_id, "start")]


async def test_moderator_role_from_config_counts(service: AuctionHouse) -> None:
    role_holder = Actor(user_id=5, role_ids=frozenset({900}))
    view = await service.start_auction(GUILD, role_holder, "abc", starting_bid=1, duration="1m")
    assert view.opened_by == 5


async def test_non_moderator_cannot_start_and_nothing_is_stored(
    service: AuctionHouse, db: SqliteStore
) -> None:
    with pytest.raises(NotPermitted, match="moderators"):
        await service.start_auction(GUILD, ALICE, "abc", starting_bid=1, duration="1m")
    assert await table(db, "SELECT * FROM auctions") == []
    assert await table(db, "SELECT * FROM outbox") == []


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"handle": "bad-handle!"}, InvalidHandle, "letters A-Z"),
        ({"handle": "admin"}, InvalidHandle, "reserved"),
        ({"duration": "forever"}, InvalidDuration, "1h30m"),
        ({"duration": "31d"}, InvalidDuration, "between 1s and 30d"),
        ({"starting_bid": 0}, InvalidAmount, "between 1 and"),
        ({"starting_bid": 10**13}, InvalidAmount, "between 1 and"),
        ({"reserve": 50}, InvalidInput, "above the starting bid"),
        ({"buy_now": 90}, InvalidInput, "buy-now"),
        ({"increment": "lots"}, InvalidInput, "5%"),
    ],
)
async def test_bad_start_options_are_refused_with_the_rule(
    service: AuctionHouse,
    db: SqliteStore,
    options: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    options = dict(options)  # the parameter's own dict serves each store's run
    handle = str(options.pop("handle", "ogname"))
    with pytest.raises(error, match=message):
        await start(service, handle, **options)
    assert await table(db, "SELECT * FROM auctions") == []


async def test_increment_override(service: AuctionHouse) -> None:
    await start(service, "abs", increment="25")
    await start(service, "pct", increment="10%")
    await service.bid_on_handle(GUILD, ALICE, "abs", 100)
    await service.bid_on_handle(GUILD, ALICE, "pct", 1000)
    assert (await service.get_auction(GUILD, "abs")).minimum_bid == 125
    assert (await service.get_auction(GUILD, "pct")).minimum_bid == 1100


async def test_only_one_open_auction_per_handle_per_guild(service: AuctionHouse) -> None:
    await start(service, "@OGName")
    with pytest.raises(HandleUnavailable, match="already up for auction"):
        await start(service, "ogNAME")
    other = await service.start_auction(OTHER_GUILD, MOD, "ogname", starting_bid=1, duration="1h")
    assert other.guild_id == OTHER_GUILD


async def test_sold_handle_cannot_be_relisted_until_released(
    service: AuctionHouse, clock: ManualClock, db: SqliteStore
) -> None:
    auction_id = await start(service, "@OGName")
    await service.bid_on_handle(GUILD, ALICE, "ogname", 150)
    clock.advance(timedelta(hours=2))
    closed = await service.close_if_due(auction_id)
    assert closed is not None and closed.outcome is Outcome.SOLD
    sale = await table(db, "SELECT handle_display, winner_id, price FROM sold_handles")
    assert sale == [("OGName", ALICE.user_id, 150)]
    with pytest.raises(HandleUnavailable, match=r"sold on .* for 150 credits"):
        await start(service, "ogname")
    with pytest.raises(NotPermitted):
        await service.release_handle(GUILD, ALICE, "ogname", "mine")
    await service.release_handle(GUILD, MOD, "@OGNAME", "the winner never paid")
    assert (
        await service.start_auction(GUILD, MOD, "ogname", starting_bid=1, duration="1h")
    ).is_open
    with pytest.raises(AuctionNotFound, match="not in the sold list"):
        await service.release_handle(GUILD, MOD, "nothing", "x")


# -- bidding --------------------------------------------------------------------------------


async def test_bid_flow_with_proxy_and_outbid_notice(
    service: AuctionHouse, db: SqliteStore
) -> None:
    await start(service)
    first = await service.bid_on_handle(GUILD, ALICE, "ogname", 100, 300)
    assert first.effect is Effect.LEADING
    assert first.auction.price == 100
    assert first.auction.viewer_maximum == 300

    proxied = await service.bid_on_handle(GUILD, BOB, "@OGNAME", 200)
    assert proxied.effect is Effect.OUTBID_BY_PROXY
    assert proxied.auction.leader_id == ALICE.user_id
    assert proxied.auction.price == 210
    assert proxied.auction.viewer_maximum is None  # Bob never sees Alice's maximum

    taken = await service.bid_on_handle(GUILD, BOB, "ogname", 400)
    assert taken.effect is Effect.LEADING
    assert taken.outbid_user_id == ALICE.user_id
    assert taken.auction.price == 400
    outbid = await table(db, "SELECT payload FROM outbox WHERE kind = 'outbid'")
    assert [json.loads(str(payload))["user_id"] for (payload,) in outbid] == [ALICE.user_id]


async def test_refused_bids_change_nothing(service: AuctionHouse, db: SqliteStore) -> None:
    await start(service)
    await service.bid_on_handle(GUILD, ALICE, "ogname", 200)
    before = await table(db, "SELECT * FROM auctions")
    bids_before = await table(db, "SELECT * FROM bids")
    attempts = [
        (BOB, "ogname", 205, None, BidTooLow, "minimum bid is 210"),
        (BOB, "ogname", -5, None, InvalidAmount, "between 1 and"),
        (BOB, "ogname", 0, None, InvalidAmount, "between 1 and"),
        (BOB, "ogname", 10**13, None, InvalidAmount, "between 1 and"),
        (BOB, "ogname", 300, 250, InvalidAmount, "at least your bid"),
        (BOB, "nosuch", 300, None, AuctionNotFound, "no auction for `@nosuch`"),
        (ALICE, "ogname", 150, None, BidRefused, "already lead"),
    ]
    for actor, handle, amount, maximum, error, message in attempts:
        with pytest.raises(error, match=message):
            await service.bid_on_handle(GUILD, actor, handle, amount, maximum)  # type: ignore[arg-type]
    assert await table(db, "SELECT * FROM auctions") == before
    assert await table(db, "SELECT * FROM bids") == bids_before


async def test_too_low_bid_says_the_minimum(service: AuctionHouse) -> None:
    await start(service)
    with pytest.raises(BidTooLow) as caught:
        await service.bid_on_handle(GUILD, ALICE, "ogname", 99)
    assert caught.value.minimum == 100
    assert "100" in str(caught.value)


async def test_bids_on_closed_or_cancelled_auctions_are_refused(
    service: AuctionHouse, clock: ManualClock
) -> None:
    closed_id = await start(service, "closed")
    await start(service, "cancelled")
    await service.cancel(GUILD, MOD, "cancelled", "listed by mistake")
    with pytest.raises(AuctionNotOpen, match="was cancelled"):
        await service.bid_on_handle(GUILD, ALICE, "cancelled", 100)
    clock.advance(timedelta(hours=1))
    with pytest.raises(AuctionNotOpen, match="ended"):  # past the end, before the job ran
        await service.bid_on_handle(GUILD, ALICE, "closed", 100)
    await service.close_if_due(closed_id)
    with pytest.raises(AuctionNotOpen, match="has closed"):
        await service.bid_on_handle(GUILD, ALICE, "closed", 100)


async def test_bidder_roles_are_enforced(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    settings = replace(SETTINGS, access=AccessPolicy(bidder_role_ids=frozenset({42})))
    service = make_service(db, clock, reminders, settings=settings)
    await start(service)
    with pytest.raises(NotPermitted, match="bidder role"):
        await service.bid_on_handle(GUILD, ALICE, "ogname", 100)
    receipt = await service.bid_on_handle(
        GUILD, Actor(user_id=99, role_ids=frozenset({42})), "ogname", 100
    )
    assert receipt.auction.leader_id == 99


async def test_guilds_are_isolated(service: AuctionHouse) -> None:
    await start(service, "ogname")
    with pytest.raises(AuctionNotFound):
        await service.bid_on_handle(OTHER_GUILD, ALICE, "ogname", 100)
    assert await service.list_open(OTHER_GUILD) == []
    with pytest.raises(AuctionNotFound):
        await service.get_auction(OTHER_GUILD, "ogname")


async def test_anti_sniping_extends_and_moves_the_close_job(
    service: AuctionHouse, clock: ManualClock, reminders: RecordingTimer
) -> None:
    auction_id = await start(service, duration="10m")
    original = reminders.at(auction_id)
    assert original is not None
    clock.advance(timedelta(minutes=9))
    receipt = await service.bid_on_handle(GUILD, ALICE, "ogname", 100)
    assert receipt.extended
    assert receipt.auction.ends_at == clock.now() + timedelta(minutes=2)
    assert reminders.at(auction_id) == receipt.auction.ends_at
    assert receipt.auction.extensions == 1


async def test_buy_now_closes_at_once(
    service: AuctionHouse, reminders: RecordingTimer, db: SqliteStore
) -> None:
    auction_id = await start(service, buy_now=1000)
    receipt = await service.bid_on_handle(GUILD, ALICE, "ogname", 1500)
    assert receipt.effect is Effect.BOUGHT_NOW
    assert receipt.auction.status is Status.CLOSED
    assert receipt.auction.outcome is Outcome.SOLD
    assert receipt.auction.price == 1000
    assert auction_id not in reminders.jobs
    assert await table(db, "SELECT winner_id, price FROM sold_handles") == [(ALICE.user_id, 1000)]
    assert (await outbox_kinds(db))[-2:] == ["auction_closed", "winner_notice"]
    assert await service.close_if_due(auction_id) is None


# -- moderation -----------------------------------------------------------------------------


async def test_void_replays_the_remaining_bids(service: AuctionHouse, db: SqliteStore) -> None:
    await start(service)
    await service.bid_on_handle(GUILD, ALICE, "ogname", 100)
    await service.bid_on_handle(GUILD, BOB, "ogname", 500, 2000)  # a troll with a huge maximum
    await service.bid_on_handle(GUILD, CAROL, "ogname", 600)
    with pytest.raises(NotPermitted):
        await service.void_bids(GUILD, ALICE, "ogname", BOB.user_id, "troll")
    receipt = await service.void_bids(GUILD, MOD, "ogname", BOB.user_id, "troll")
    assert receipt.voided == 1
    assert receipt.auction.leader_id == CAROL.user_id
    assert receipt.auction.price == 600
    rows = await table(
        db, "SELECT bidder_id, voided_by, void_reason FROM bids WHERE voided_at IS NOT NULL"
    )
    assert rows == [(BOB.user_id, MOD.user_id, "troll")]
    assert await table(db, "SELECT COUNT(*) FROM bids") == [(3,)]  # voided, not deleted
    with pytest.raises(NothingToVoid):
        await service.void_bids(GUILD, MOD, "ogname", BOB.user_id, "again")
    with pytest.raises(InvalidInput, match="reason"):
        await service.void_bids(GUILD, MOD, "ogname", ALICE.user_id, "   ")
    actions = await table(db, "SELECT action, reason FROM audit_log WHERE action = 'void'")
    assert actions == [("void", "troll")]


async def test_cancel(service: AuctionHouse, reminders: RecordingTimer, db: SqliteStore) -> None:
    auction_id = await start(service)
    await service.bid_on_handle(GUILD, ALICE, "ogname", 100)
    with pytest.raises(NotPermitted):
        await service.cancel(GUILD, ALICE, "ogname", "no")
    view = await service.cancel(GUILD, MOD, "ogname", "duplicate listing")
    assert view.status is Status.CANCELLED
    assert view.winner_id is None
    assert auction_id not in reminders.jobs
    assert "auction_cancelled" in await outbox_kinds(db)
    assert await table(db, "SELECT COUNT(*) FROM sold_handles") == [(0,)]
    with pytest.raises(AuctionNotOpen):
        await service.cancel(GUILD, MOD, "ogname", "again")


async def test_end_now_announces_the_current_result(service: AuctionHouse, db: SqliteStore) -> None:
    await start(service, reserve=1000)
    await service.bid_on_handle(GUILD, ALICE, "ogname", 100)
    view = await service.end_now(GUILD, MOD, "ogname")
    assert view.outcome is Outcome.RESERVE_NOT_MET
    assert view.winner_id is None
    assert await table(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'auction_closed'") == [(1,)]
    stored = await db.read(lambda uow: uow.auctions.get(view.id))
    assert stored.outcome is Outcome.RESERVE_NOT_MET  # what the announcement is rendered from
    assert await table(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'winner_notice'") == [(0,)]


async def test_extend(service: AuctionHouse, reminders: RecordingTimer) -> None:
    auction_id = await start(service, duration="20m")
    before = (await service.get_auction(GUILD, "ogname")).ends_at
    with pytest.raises(NotPermitted):
        await service.extend(GUILD, ALICE, "ogname", "1h")
    view = await service.extend(GUILD, MOD, "ogname", "30m")
    assert view.ends_at == before + timedelta(minutes=30)
    assert reminders.at(auction_id) == view.ends_at
    with pytest.raises(InvalidInput, match="longest an auction may last"):
        await service.extend(GUILD, MOD, "ogname", "30d")


# -- closing --------------------------------------------------------------------------------


async def test_close_if_due_is_idempotent_and_waits_for_the_end(
    service: AuctionHouse, clock: ManualClock, reminders: RecordingTimer, db: SqliteStore
) -> None:
    auction_id = await start(service)
    await service.bid_on_handle(GUILD, ALICE, "ogname", 100)
    assert await service.close_if_due(auction_id) is None  # too early: scheduled again
    assert reminders.at(auction_id) is not None
    clock.advance(timedelta(hours=1))
    closed = await service.close_if_due(auction_id)
    assert closed is not None and closed.winner_id == ALICE.user_id
    assert await service.close_if_due(auction_id) is None
    assert await table(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'auction_closed'") == [(1,)]
    assert await table(db, "SELECT COUNT(*) FROM sold_handles") == [(1,)]


async def test_two_simultaneous_closes_close_once(
    service: AuctionHouse, clock: ManualClock, db: SqliteStore
) -> None:
    auction_id = await start(service)
    clock.advance(timedelta(hours=2))
    results = await asyncio.gather(*(service.close_if_due(auction_id) for _ in range(5)))
    assert sum(r is not None for r in results) == 1
    assert await table(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'auction_closed'") == [(1,)]
    outcome = await table(db, "SELECT outcome FROM auctions")
    assert outcome == [("no_bids",)]


async def test_resume_reschedules_open_and_closes_overdue(
    db: SqliteStore, clock: ManualClock
) -> None:
    first = make_service(db, clock, RecordingTimer())
    soon = await first.start_auction(GUILD, MOD, "soon", starting_bid=1, duration="10m")
    later = await first.start_auction(GUILD, MOD, "later", starting_bid=1, duration="1h")
    clock.advance(timedelta(minutes=30))
    reminders = RecordingTimer()
    restarted = make_service(db, clock, reminders)
    assert await restarted.resume() == 1
    assert (await restarted.get_auction(GUILD, "soon")).status is Status.CLOSED
    assert set(reminders.jobs) == {later.id}
    assert soon.id not in reminders.jobs


# -- reads ----------------------------------------------------------------------------------


async def test_views_never_show_someone_elses_maximum_or_the_reserve(
    service: AuctionHouse,
) -> None:
    await start(service, reserve=5000)
    await service.bid_on_handle(GUILD, ALICE, "ogname", 100, 999)
    as_bob = await service.get_auction(GUILD, "ogname", viewer_id=BOB.user_id)
    as_alice = await service.get_auction(GUILD, "ogname", viewer_id=ALICE.user_id)
    assert as_bob.viewer_maximum is None
    assert as_alice.viewer_maximum == 999
    assert not hasattr(as_bob, "reserve")
    await service.bid_on_handle(GUILD, ALICE, "ogname", 3000)  # a raise: typed amount = her new max
    history = await service.bid_history(GUILD, "ogname")
    assert [(b.bidder_id, b.price_after) for b in history] == [(ALICE.user_id, 100)] * 2
    assert not hasattr(history[0], "maximum")
    assert not hasattr(history[0], "amount")
    assert "3000" not in repr(history)
    assert "999" not in repr(history)


async def test_list_open_is_soonest_first(service: AuctionHouse) -> None:
    await start(service, "late", duration="3h")
    await start(service, "early", duration="1h")
    await start(service, "middle", duration="2h")
    await service.cancel(GUILD, MOD, "middle", "x")
    assert [v.handle.key for v in await service.list_open(GUILD)] == ["early", "late"]


@sqlite_only  # it reads SQLite's statement trace
async def test_open_auctions_are_read_a_page_at_a_time(
    service: AuctionHouse, db: SqliteStore
) -> None:
    for n in range(23):
        await start(service, f"h{n:02}", duration=f"{n + 1}m")
    traced: list[str] = []
    await db.on_connection(lambda conn: conn.set_trace_callback(traced.append))
    page = await service.open_page(GUILD, 1, 10)
    await db.on_connection(lambda conn: conn.set_trace_callback(None))
    assert [v.handle.key for v in page.views] == [f"h{n:02}" for n in range(10, 20)]
    assert (page.page, page.pages, page.total) == (1, 3, 23)
    assert any("LIMIT 10 OFFSET 10" in sql for sql in traced)  # not every open auction
    last = await service.open_page(GUILD, 99, 10)  # a button from before auctions closed
    assert (last.page, [v.handle.key for v in last.views]) == (2, ["h20", "h21", "h22"])
    assert (await service.open_page(OTHER_GUILD, 0, 10)).pages == 1


async def test_autocomplete_reads_the_first_matches_only(service: AuctionHouse) -> None:
    for n in range(40):
        await start(service, f"og{n:02}", duration=f"{40 - n}m")
    await start(service, "other", duration="1m")
    found = await service.open_matching(GUILD, "og", 25)
    assert len(found) == 25
    assert [v.handle.key for v in found[:2]] == ["og39", "og38"]  # soonest ending first
    assert [v.handle.key for v in await service.open_matching(GUILD, "g1", 25)] == [
        f"og{n}" for n in range(19, 9, -1)
    ]
    assert await service.open_matching(OTHER_GUILD, "og", 25) == []


async def test_get_auction_falls_back_to_the_latest_closed_one(service: AuctionHouse) -> None:
    await start(service)
    await service.cancel(GUILD, MOD, "ogname", "x")
    assert (await service.get_auction(GUILD, "OGNAME")).status is Status.CANCELLED


async def test_record_post(service: AuctionHouse) -> None:
    auction_id = await start(service)
    await service.record_post(auction_id, 5, 6)
    view = await service.get_by_id(auction_id)
    assert (view.channel_id, view.message_id) == (5, 6)
    with pytest.raises(AuctionNotFound):
        await service.get_by_id(999)


async def test_database_refuses_a_second_open_auction_even_if_a_check_is_skipped(
    db: SqliteStore,
) -> None:
    insert = (
        "INSERT INTO auctions (guild_id, handle_key, handle_display, platform, starting_bid,"
        " increment_absolute, increment_percent, anti_snipe_window_us, anti_snipe_extension_us,"
        " max_extensions, opened_by, opened_at, ends_at) VALUES (1, 'og', 'og', 'x', 1, 1, 0, 0, 0, 0, 1, 0, 10)"
    )
    await db.on_connection(lambda c: c.execute(insert))
    with pytest.raises(INTEGRITY_ERRORS):
        await db.on_connection(lambda c: c.execute(insert))


async def test_outbid_dms_can_be_turned_off_and_on(service: AuctionHouse) -> None:
    assert await service.wants_outbid_dms(GUILD, ALICE.user_id)
    await service.set_outbid_dms(GUILD, ALICE, enabled=False)
    assert not await service.wants_outbid_dms(GUILD, ALICE.user_id)
    assert await service.wants_outbid_dms(OTHER_GUILD, ALICE.user_id)
    await service.set_outbid_dms(GUILD, ALICE, enabled=True)
    assert await service.wants_outbid_dms(GUILD, ALICE.user_id)


async def test_remembered_state(core: Core) -> None:
    assert await core.memory.recall("k") is None
    await core.memory.remember("k", "v1")
    await core.memory.remember("k", "v2")
    assert await core.memory.recall("k") == "v2"
