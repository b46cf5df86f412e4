"""Decoded auctions kept between transactions: a hot auction's row is not read whole for
every bid, and no cached auction is ever other than its row, after a rollback included
(a failed write, a failed batch, an auction id given out again)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.domain.errors import BidTooLow
from bot.storage.sql.auctions import _COLUMNS
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import ALICE, BOB, GUILD, MOD, make_service
from tests.fakes import RecordingTimer
from tests.storage.test_repositories import add


@pytest.fixture
def store_kind() -> str:
    """About SQLite alone: its behaviour on a full disk, its write lane, its cache."""
    return "sqlite"


WHOLE_ROW = " ".join(f"SELECT {_COLUMNS}".split())


def _whole_row(sql: str) -> bool:
    return " ".join(sql.split()).startswith(WHOLE_ROW)


@pytest.fixture
def service(db: SqliteStore, clock: ManualClock) -> AuctionHouse:
    return make_service(db, clock, RecordingTimer())


async def _statements(db: SqliteStore) -> list[str]:
    traced: list[str] = []
    await db.on_connection(lambda conn: conn.set_trace_callback(traced.append))
    return traced


async def test_a_bid_on_a_hot_auction_does_not_read_its_whole_row(
    service: AuctionHouse, db: SqliteStore
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    traced = await _statements(db)  # (which forgets what was cached)
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    assert any(_whole_row(sql) for sql in traced)  # the first read is a whole one
    traced.clear()
    receipt = await service.bid_on_handle(GUILD, BOB, "og", 20)
    await db.on_connection(lambda conn: conn.set_trace_callback(None))
    assert [sql for sql in traced if _whole_row(sql)] == []
    assert receipt.auction.price == 20 and receipt.auction.leader_id == BOB.user_id


async def test_a_rolled_back_bid_leaves_no_trace_in_what_is_read(
    service: AuctionHouse, db: SqliteStore
) -> None:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)

    def bid_then_fail(uow: UnitOfWork) -> None:
        auction = uow.auctions.get(view.id)
        uow.auctions.update_standing(view.id, auction.standing.__class__(
            price=999, leader_id=BOB.user_id, leader_max=999, bid_count=9
        ))  # fmt: skip
        uow.auctions.get(view.id)  # the uncommitted state, read (and kept) inside the write
        raise RuntimeError("the transaction fails after its change")

    with pytest.raises(RuntimeError):
        await db.write(bid_then_fail)
    current = await service.get_by_id(view.id)
    assert (current.price, current.leader_id) == (5, ALICE.user_id)
    with pytest.raises(BidTooLow):
        await service.bid_on_handle(GUILD, BOB, "og", 6)  # the minimum is still 15


async def test_an_auction_id_reused_after_a_rollback_is_read_afresh(db: SqliteStore) -> None:
    def add_then_fail(uow: UnitOfWork) -> None:
        add("first")(uow)
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await db.write(add_then_fail)
    second = await db.write(add("second"))  # SQLite gives the free id out again
    assert (await db.read(lambda uow: uow.auctions.get(second.id))).handle.key == "second"
    found = await db.read(lambda uow: uow.auctions.find_open(GUILD, "first"))
    assert found is None


async def test_a_change_made_on_the_raw_connection_is_seen(
    service: AuctionHouse, db: SqliteStore
) -> None:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)

    def maintenance(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE auctions SET bid_count = 42 WHERE id = ?", (view.id,))

    await db.on_connection(maintenance)
    assert (await service.get_by_id(view.id)).bid_count == 42


async def test_a_write_undone_inside_a_batch_leaves_no_trace_in_what_is_read(
    service: AuctionHouse, db: SqliteStore
) -> None:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)

    def change_then_fail(uow: UnitOfWork) -> None:
        auction = uow.auctions.get(view.id)
        uow.auctions.set_end(view.id, auction.ends_at.replace(year=2030))
        uow.auctions.get(view.id)
        raise RuntimeError("this write alone is undone")

    # Queued together, so they share one transaction, each in its own savepoint.
    outcomes = await asyncio.gather(
        db.write(change_then_fail),
        service.bid_on_handle(GUILD, BOB, "og", 20),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], RuntimeError)
    current = await service.get_by_id(view.id)
    assert current.ends_at == view.ends_at
    assert (current.price, current.leader_id) == (20, BOB.user_id)
