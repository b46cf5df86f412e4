"""The handle house through the core: imports, inventory listings, valuations, starting from
the inventory, the sold registry, drops across a restart and falling-price relists."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.domain.auction import Outcome
from bot.domain.errors import HandleUnavailable, InvalidInput, NotPermitted
from bot.domain.handles import HandlePolicy
from bot.domain.inventory import ItemStatus
from bot.domain.messages import MessageKind
from bot.domain.relist import RelistPolicy
from bot.storage.factory import open_url
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import ALICE, BOB, GUILD, MOD, SETTINGS, make_core
from tests.fakes import RecordingTimer

BRANDED = replace(
    SETTINGS,
    handles=HandlePolicy(
        platform="x", reserved=frozenset({"admin", "support"}), brands=frozenset({"nike"})
    ),
)


def csv_bytes(
    rows: list[list[str]], header: str = "handle,starting_bid,reserve,buy_now,tags,note"
) -> bytes:
    out = io.StringIO()
    out.write(header + "\n")
    writer = csv.writer(out)
    writer.writerows(rows)
    return out.getvalue().encode()


def report_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def house(db: SqliteStore, clock: ManualClock, reminders: RecordingTimer) -> AuctionHouse:
    return make_core(db, clock, reminders, BRANDED).house


async def test_import_adds_good_rows_and_says_why_each_other_is_refused(
    house: AuctionHouse, clock: ManualClock
) -> None:
    await house.start_auction(GUILD, MOD, "live", starting_bid=10, duration="1h")
    data = csv_bytes(
        [
            ["@abc", "100", "", "", "og, three", "from the 2019 purge"],
            ["ok_go", "", "", "", "", ""],
            ["bad handle!", "10", "", "", "", ""],
            ["admin", "10", "", "", "", ""],
            ["nike", "10", "", "", "", ""],
            ["ABC", "10", "", "", "", ""],
            ["live", "10", "", "", "", ""],
            ["zz", "abc", "", "", "", ""],
            ["yy", "100", "50", "", "", ""],
        ]
    )
    report = await house.stock.import_csv(GUILD, MOD, data)
    assert (report.added, report.refused) == (2, 7)
    rows = report_rows(report.report_csv)
    assert [r["row"] for r in rows] == [str(n) for n in range(2, 11)]
    by_row = {r["row"]: r for r in rows}
    assert by_row["2"]["result"] == "added"
    assert by_row["3"]["result"] == "added"
    assert "not a valid X handle" in by_row["4"]["reason"]
    assert "reserved" in by_row["5"]["reason"]
    assert "brand" in by_row["6"]["reason"] and "override" in by_row["6"]["reason"]
    assert "row 2" in by_row["7"]["reason"]
    assert "already up for auction" in by_row["8"]["reason"]
    assert "starting_bid" in by_row["9"]["reason"]
    assert "reserve" in by_row["10"]["reason"].lower()
    page = await house.stock.page(GUILD, MOD)
    assert sorted(i.handle.key for i in page.items) == ["abc", "ok_go"]
    abc = next(i for i in page.items if i.handle.key == "abc")
    assert abc.tags == ("og", "three") and abc.note == "from the 2019 purge"
    assert abc.prices.starting_bid == 100 and abc.status is ItemStatus.AVAILABLE


async def test_a_second_import_of_the_same_handles_adds_nothing(house: AuctionHouse) -> None:
    data = csv_bytes([["abc", "100", "", "", "", ""], ["xyz", "", "", "", "", ""]])
    assert (await house.stock.import_csv(GUILD, MOD, data)).added == 2
    again = await house.stock.import_csv(GUILD, MOD, data)
    assert (again.added, again.refused) == (0, 2)
    assert all("already in the inventory" in r["reason"] for r in report_rows(again.report_csv))


async def test_brand_names_need_an_override_with_a_reason(house: AuctionHouse) -> None:
    data = csv_bytes([["nike", "500", "", "", "", ""], ["nikeshop", "", "", "", "", ""]])
    with pytest.raises(InvalidInput, match="reason"):
        await house.stock.import_csv(GUILD, MOD, data, override=True)
    report = await house.stock.import_csv(
        GUILD, MOD, data, override=True, why="licensed by the brand owner"
    )
    assert report.added == 2 and report.overridden == ["@nike", "@nikeshop"]
    with pytest.raises(InvalidInput, match="brand"):
        await house.start_auction(GUILD, MOD, "nike", starting_bid=10, duration="1h")
    view = await house.start_auction(
        GUILD, MOD, "nike", starting_bid=None, duration="1h", override=True, reason="licensed"
    )
    assert view.starting_bid == 500


async def test_a_file_that_is_not_a_csv_of_handles_changes_nothing(house: AuctionHouse) -> None:
    with pytest.raises(InvalidInput, match="handle"):
        await house.stock.import_csv(GUILD, MOD, b"name,price\nabc,10\n")
    with pytest.raises(InvalidInput):
        await house.stock.import_csv(GUILD, MOD, b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert (await house.stock.page(GUILD, MOD)).total == 0


async def test_members_cannot_use_the_inventory(house: AuctionHouse) -> None:
    with pytest.raises(NotPermitted):
        await house.stock.import_csv(GUILD, ALICE, csv_bytes([["abc", "", "", "", "", ""]]))
    with pytest.raises(NotPermitted):
        await house.stock.page(GUILD, ALICE)
    with pytest.raises(NotPermitted):
        await house.stock.appraise(GUILD, ALICE, "abc")
    assert (await house.stock.page(GUILD, MOD)).total == 0


async def test_list_filters_sorts_and_pages(house: AuctionHouse) -> None:
    rows = [[f"h{n:03d}", "", "", "", "even" if n % 2 == 0 else "odd", ""] for n in range(25)]
    rows.append(["777", "", "", "", "", ""])
    await house.stock.import_csv(GUILD, MOD, csv_bytes(rows))
    first = await house.stock.page(GUILD, MOD, sort="value")
    assert first.total == 26 and first.pages == 3 and first.items[0].handle.key == "777"
    evens = await house.stock.page(GUILD, MOD, tag="even", sort="name")
    assert evens.total == 13 and [i.handle.key for i in evens.items][:2] == ["h000", "h002"]
    found = await house.stock.page(GUILD, MOD, search="h01")
    assert found.total == 10
    late = await house.stock.page(GUILD, MOD, page=99)
    assert late.page == 2 and len(late.items) == 6


async def test_show_values_the_handle_and_suggests_a_price(house: AuctionHouse) -> None:
    await house.stock.import_csv(
        GUILD, MOD, csv_bytes([["aaa", "", "", "", "", ""], ["qzxvbnm_k", "", "", "", "", ""]])
    )
    short = await house.stock.show(GUILD, MOD, "aaa")
    long = await house.stock.show(GUILD, MOD, "qzxvbnm_k")
    assert short.appraisal.valuation.score > long.appraisal.valuation.score
    assert any("3 characters" in r for r in short.appraisal.valuation.reasons)
    assert "base price" in short.appraisal.suggestion.basis
    assert short.appraisal.suggestion.amount > long.appraisal.suggestion.amount


async def test_start_uses_the_inventory_prices_and_follows_the_handle_to_sold_and_back(
    house: AuctionHouse, clock: ManualClock
) -> None:
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "100", "150", "900", "", ""]]))
    view = await house.start_auction(GUILD, MOD, "abc", starting_bid=None, duration="1h")
    assert (view.starting_bid, view.has_reserve, view.buy_now) == (100, True, 900)
    item = (await house.stock.show(GUILD, MOD, "abc")).item
    assert item.status is ItemStatus.IN_AUCTION and item.auction_id == view.id
    with pytest.raises(InvalidInput, match="only an available handle"):
        await house.stock.remove(GUILD, MOD, "abc", "changed my mind")
    await house.bid_on_handle(GUILD, ALICE, "abc", 200)
    clock.advance(timedelta(hours=2))
    closed = await house.close_if_due(view.id)
    assert closed is not None and closed.outcome is Outcome.SOLD
    assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.SOLD
    sold = await house.stock.sold_page(GUILD, member_id=ALICE.user_id, page=0)
    assert [s.handle.key for s in sold.sales] == ["abc"] and sold.sales[0].price == 200
    owner, currency = await house.stock.owner(GUILD, "@ABC")
    assert owner.winner_id == ALICE.user_id and currency.name == "credits"
    await house.release_handle(GUILD, MOD, "abc", "the winner gave it back")
    assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.AVAILABLE
    assert (await house.stock.sold_page(GUILD, member_id=None, page=0)).total == 0


async def test_a_released_handle_never_in_the_inventory_is_added_to_it(
    house: AuctionHouse, clock: ManualClock
) -> None:
    view = await house.start_auction(GUILD, MOD, "plain", starting_bid=50, duration="1h")
    await house.bid_on_handle(GUILD, BOB, "plain", 60)
    clock.advance(timedelta(hours=2))
    await house.close_if_due(view.id)
    await house.release_handle(GUILD, MOD, "plain", "refunded")
    item = (await house.stock.show(GUILD, MOD, "plain")).item
    assert item.status is ItemStatus.AVAILABLE and item.prices.starting_bid == 50
    assert item.score > 0  # valued like an imported handle ("plain" is a common word)


async def test_start_without_a_starting_bid_anywhere_says_so(house: AuctionHouse) -> None:
    with pytest.raises(InvalidInput, match="starting_bid"):
        await house.start_auction(GUILD, MOD, "nobid", starting_bid=None, duration="1h")


def _at(clock: ManualClock, hours: float) -> datetime:
    return clock.now() + timedelta(hours=hours)


async def test_a_drop_starts_each_auction_once_on_time(
    house: AuctionHouse, clock: ManualClock
) -> None:
    rows = [[name, "", "", "", "", ""] for name in ("aaa", "bbb", "ccc", "dddd")]
    await house.stock.import_csv(GUILD, MOD, csv_bytes(rows))
    plan = await house.drops.create(
        GUILD, MOD, start="in 2h", count=3, interval="10m", duration="1h", channel_id=5
    )
    assert [s.starts_at - plan.slots[0].starts_at for s in plan.slots] == [
        timedelta(0),
        timedelta(minutes=10),
        timedelta(minutes=20),
    ]
    assert all(s.suggested and s.starting_bid > 0 for s in plan.slots)
    assert plan.drop.announce_at == plan.slots[0].starts_at - timedelta(hours=1)
    with pytest.raises(HandleUnavailable, match="drop #"):
        await house.start_auction(GUILD, MOD, plan.slots[0].handle, starting_bid=5, duration="1h")
    assert await house.starter.sweep() == 0
    clock.advance(timedelta(hours=2, minutes=5))
    assert await house.starter.sweep() == 1
    assert await house.starter.sweep() == 0  # never twice
    opened = await house.get_auction(GUILD, plan.slots[0].handle)
    assert opened.opened_at == clock.now() and opened.ends_at == clock.now() + timedelta(hours=1)
    assert opened.starting_bid == plan.slots[0].starting_bid and opened.channel_id == 5
    upcoming = await house.drops.upcoming(GUILD, MOD)
    assert [d.id for d, _, _ in upcoming] == [plan.drop.id]
    returned = await house.drops.cancel(GUILD, MOD, plan.drop.id, "postponed")
    assert returned == 2
    statuses = {i.handle.key: i.status for i in (await house.stock.page(GUILD, MOD)).items}
    assert statuses[plan.slots[0].handle] is ItemStatus.IN_AUCTION
    assert statuses[plan.slots[1].handle] is ItemStatus.AVAILABLE
    clock.advance(timedelta(hours=1))
    assert await house.starter.sweep() == 0
    assert await house.drops.upcoming(GUILD, MOD) == []


async def test_a_drop_due_while_the_bot_was_down_starts_at_once_with_its_full_duration(
    db_url: str, clock: ManualClock
) -> None:
    store = await open_url(db_url)
    house = make_core(store, clock, RecordingTimer(), BRANDED).house
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "70", "", "", "", ""]]))
    plan = await house.drops.create(GUILD, MOD, start="in 1h", count=1, duration="2h")
    await store.close()

    clock.advance(timedelta(hours=5))  # the bot was down through the start
    store = await open_url(db_url)
    try:
        house = make_core(store, clock, RecordingTimer(), BRANDED).house
        await house.resume()
        view = await house.get_auction(GUILD, "abc")
        assert view.is_open and view.starting_bid == 70
        assert view.ends_at - view.opened_at == timedelta(hours=2)
        assert view.opened_at == clock.now()
        again = make_core(store, clock, RecordingTimer(), BRANDED).house
        assert await again.starter.sweep() == 0  # a second process or restart: not twice
        assert await house.drops.upcoming(GUILD, MOD) == []  # its one start happened
        started = await store.read(lambda uow: uow.schedule.starts_of_drop(plan.drop.id))
        assert [s.auction_id for s in started] == [view.id]
    finally:
        await store.close()


async def test_drop_refusals_change_nothing(house: AuctionHouse) -> None:
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "", "", "", "", ""]]))
    with pytest.raises(InvalidInput):
        await house.drops.create(GUILD, MOD, start="yesterday", count=1)
    with pytest.raises(InvalidInput, match="not in the inventory"):
        await house.drops.create(GUILD, MOD, start="in 1h", handles="abc, nothere")
    with pytest.raises(InvalidInput, match="No available"):
        await house.drops.create(GUILD, MOD, start="in 1h", count=5, tag="none")
    with pytest.raises(NotPermitted):
        await house.drops.create(GUILD, ALICE, start="in 1h", count=1)
    assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.AVAILABLE


async def test_an_unsold_handle_is_relisted_lower_down_to_the_floor(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    policy = RelistPolicy(
        enabled=True, wait=timedelta(minutes=30), drop_percent=10, floor=150, max_relists=4
    )
    house = make_core(db, clock, reminders, replace(BRANDED, relist=policy)).house
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "200", "", "", "", ""]]))
    view = await house.start_auction(GUILD, MOD, "abc", starting_bid=None, duration="1h")
    prices = [view.starting_bid]
    for _ in range(4):
        clock.advance(timedelta(hours=1, seconds=1))
        closed = await house.close_if_due(view.id)
        assert closed is not None and closed.outcome is Outcome.NO_BIDS
        assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.SCHEDULED
        clock.advance(timedelta(minutes=29))
        assert await house.starter.sweep() == 0  # not before the wait is over
        clock.advance(timedelta(minutes=1))
        assert await house.starter.sweep() == 1
        view = await house.get_auction(GUILD, "abc")
        assert view.relist_number == len(prices) and view.relisted_from == prices[-1]
        prices.append(view.starting_bid)
    assert prices == [200, 180, 162, 150, 150]
    clock.advance(timedelta(hours=1, seconds=1))
    await house.close_if_due(view.id)
    item = (await house.stock.show(GUILD, MOD, "abc")).item
    assert item.status is ItemStatus.AVAILABLE and item.relists == 4  # the maximum: no more
    clock.advance(timedelta(days=1))
    assert await house.starter.sweep() == 0


async def test_a_relisted_handle_that_sells_is_sold(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    policy = RelistPolicy(enabled=True, wait=timedelta(0), drop_percent=50, floor=10, max_relists=3)
    house = make_core(db, clock, reminders, replace(BRANDED, relist=policy)).house
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "100", "", "", "", ""]]))
    first = await house.start_auction(GUILD, MOD, "abc", starting_bid=None, duration="1h")
    clock.advance(timedelta(hours=2))
    await house.close_if_due(first.id)
    assert await house.starter.sweep() == 1
    relisted = await house.get_auction(GUILD, "abc")
    assert relisted.starting_bid == 50
    await house.bid_on_handle(GUILD, BOB, "abc", 50)
    clock.advance(timedelta(hours=2))
    await house.close_if_due(relisted.id)
    assert (await house.stock.show(GUILD, MOD, "abc")).item.status is ItemStatus.SOLD
    assert await house.starter.sweep() == 0


async def test_a_handle_waiting_to_be_relisted_can_be_listed_by_hand_or_removed(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    policy = RelistPolicy(enabled=True, wait=timedelta(days=7), drop_percent=10, floor=1)
    house = make_core(db, clock, reminders, replace(BRANDED, relist=policy)).house
    rows = [["abc", "100", "", "", "", ""], ["xyz", "100", "", "", "", ""]]
    await house.stock.import_csv(GUILD, MOD, csv_bytes(rows))
    for name in ("abc", "xyz"):
        view = await house.start_auction(GUILD, MOD, name, starting_bid=None, duration="1h")
        clock.advance(timedelta(hours=1, seconds=1))
        await house.close_if_due(view.id)
        assert (await house.stock.show(GUILD, MOD, name)).item.status is ItemStatus.SCHEDULED
    by_hand = await house.start_auction(GUILD, MOD, "abc", starting_bid=None, duration="1h")
    assert by_hand.relist_number == 0 and by_hand.starting_bid == 100
    removed = await house.stock.remove(GUILD, MOD, "xyz", "no longer ours")
    assert removed.handle.key == "xyz"
    clock.advance(timedelta(days=8))
    assert await house.starter.sweep() == 0  # both relists were called off
    assert (await house.stock.page(GUILD, MOD, status=ItemStatus.WITHDRAWN)).total == 1


async def test_a_relist_runs_as_long_as_its_auction_was_listed_for_without_extensions(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    policy = RelistPolicy(enabled=True, wait=timedelta(0), drop_percent=10, floor=1)
    house = make_core(db, clock, reminders, replace(BRANDED, relist=policy)).house
    await house.stock.import_csv(GUILD, MOD, csv_bytes([["abc", "100", "500", "", "", ""]]))
    view = await house.start_auction(GUILD, MOD, "abc", starting_bid=None, duration="1h")
    clock.advance(timedelta(minutes=59))
    receipt = await house.bid_on_handle(GUILD, BOB, "abc", 100)  # sniped: extended, below reserve
    assert receipt.extended
    clock.advance(timedelta(minutes=10))
    closed = await house.close_if_due(view.id)
    assert closed is not None and closed.outcome is Outcome.RESERVE_NOT_MET
    assert await house.starter.sweep() == 1
    relisted = await house.get_auction(GUILD, "abc")
    assert relisted.ends_at - relisted.opened_at == timedelta(hours=1)
    assert not relisted.has_reserve  # a relist falls to find a buyer


async def test_cancelling_an_announced_drop_says_so_and_an_unannounced_one_stays_quiet(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    house = make_core(db, clock, reminders, BRANDED).house
    rows = [[name, "10", "", "", "", ""] for name in ("aaa", "bbb")]
    await house.stock.import_csv(GUILD, MOD, csv_bytes(rows))
    later = await house.drops.create(GUILD, MOD, start="in 5h", handles="aaa", channel_id=5)
    soon = await house.drops.create(GUILD, MOD, start="in 30m", handles="bbb", channel_id=5)

    def drop_messages(uow: UnitOfWork) -> list[tuple[str, bool]]:
        due = uow.outbox.due(clock.now() + timedelta(days=1), 100)
        return [(str(m.payload.get("drop_id")), bool(m.payload.get("cancelled"))) for m in due
                if m.kind is MessageKind.DROP_ANNOUNCEMENT]  # fmt: skip

    await house.drops.cancel(GUILD, MOD, later.drop.id, None)  # due in 4h: never goes out
    await house.drops.cancel(GUILD, MOD, soon.drop.id, None)  # due now: may be going out
    assert sorted(await db.read(drop_messages)) == sorted(
        [(str(soon.drop.id), False), (str(soon.drop.id), True)]
    )
