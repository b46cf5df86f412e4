"""A full disk, for real: SQLite's own SQLITE_FULL (``PRAGMA max_page_count`` at the current
size), not a mocked error. A member is told plainly that nothing was saved, nothing changes,
and the bot carries on once there is room again."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

import pytest

from bot.auctions.bidding import NOT_SAVED, place_bid
from bot.auctions.house import AuctionHouse
from bot.auctions.restock import Restock
from bot.clock import ManualClock
from bot.domain.errors import StorageUnavailable
from bot.domain.settings import ServerSettings
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import ALICE, BOB, GUILD, MOD


@pytest.fixture
def store_kind() -> str:
    """About SQLite alone: its behaviour on a full disk, its write lane, its cache."""
    return "sqlite"


GENERIC = StorageUnavailable().message
ROOM = 2**30  # pages: room enough again


async def count(db: SqliteStore, sql: str) -> int:
    return await db.on_connection(lambda c: c.execute(sql).fetchone()[0])


async def fill_disk(db: SqliteStore, pad: Callable[[sqlite3.Connection, int], object]) -> int:
    """Cap the file at its current size, then add padding rows with ``pad`` (each as small
    as the row the test writes next, or smaller) until SQLite says the disk is full: from
    then on, a row that needs the same table's last page cannot be stored. Returns how many
    padding rows fitted."""

    def fill(conn: sqlite3.Connection) -> int:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        conn.execute(f"PRAGMA max_page_count = {pages}")
        assert conn.execute("PRAGMA max_page_count").fetchone()[0] == pages
        for n in range(100_000):
            try:
                pad(conn, n)
            except sqlite3.OperationalError as exc:
                full, fitted = exc, n
                break
        else:
            raise AssertionError("the capped database never filled up")
        assert full.sqlite_errorname == "SQLITE_FULL", full
        assert not conn.in_transaction
        return fitted

    return await db.on_connection(fill)


async def make_room(db: SqliteStore) -> None:
    await db.on_connection(lambda c: c.execute(f"PRAGMA max_page_count = {ROOM}"))


def pad_bid(conn: sqlite3.Connection, n: int) -> None:
    # The smallest bid row there is (0 and 1 take no bytes at all in a record), on an
    # auction of another server: smaller than any real bid, so a real one cannot fit either.
    conn.execute(
        "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
        " leader_after) VALUES (1, 1, 1, 1, 0, 1, 1)"
    )


def pad_auction(conn: sqlite3.Connection, n: int) -> None:
    conn.execute(
        "INSERT INTO auctions (guild_id, handle_key, handle_display, platform, status,"
        " starting_bid, increment_absolute, increment_percent, anti_snipe_window_us,"
        " anti_snipe_extension_us, max_extensions, opened_by, opened_at, ends_at)"
        " VALUES (1, '', '', '', 'closed', 1, 1, 0, 0, 0, 0, 1, 0, 0)"
    )


@pytest.fixture
async def listed(service: AuctionHouse, db: SqliteStore) -> int:
    """An auction on another server to hang padding bids on, and the auction under test,
    with one bid (ALICE at 100)."""
    await service.start_auction(GUILD + 1, MOD, "padding", starting_bid=1, duration="1h")
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 100)
    # Everything in the file itself. (The checkpoint's row is read to the end: a cursor left
    # on it would hold the connection's autocommit transaction open.)
    await db.on_connection(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
    return view.id


async def test_a_bid_on_a_full_disk_is_refused_plainly_and_changes_nothing(
    service: AuctionHouse, db: SqliteStore, listed: int
) -> None:
    await fill_disk(db, pad_bid)
    bids = await count(db, "SELECT COUNT(*) FROM bids")
    outbox = await count(db, "SELECT COUNT(*) FROM outbox")

    with pytest.raises(StorageUnavailable) as caught:
        await service.bid_on_handle(GUILD, BOB, "og", 500)
    assert str(caught.value) == NOT_SAVED
    assert "can't save bids" in caught.value.message
    assert "your bid was not placed" in caught.value.message
    assert isinstance(caught.value.__cause__, StorageUnavailable)
    assert isinstance(caught.value.__cause__.__cause__, sqlite3.OperationalError)

    # The same by button (on the auction's id).
    with pytest.raises(StorageUnavailable, match="your bid was not placed"):
        await service.bid_on_auction(GUILD, BOB, listed, 500)

    assert await count(db, "SELECT COUNT(*) FROM bids") == bids
    assert await count(db, "SELECT COUNT(*) FROM outbox") == outbox  # no outbid DM queued
    view = await service.get_by_id(listed)
    assert (view.price, view.leader_id, view.bid_count) == (100, ALICE.user_id, 1)
    assert [b.bidder_id for b in await service.bid_history(GUILD, "og")] == [ALICE.user_id]


async def test_a_refused_bid_does_not_break_the_connection(
    service: AuctionHouse, db: SqliteStore, listed: int
) -> None:
    await fill_disk(db, pad_bid)
    with pytest.raises(StorageUnavailable):
        await service.bid_on_handle(GUILD, BOB, "og", 500)
    # Reads still work, and no transaction was left open on the shared connection.
    assert (await service.get_auction(GUILD, "og")).price == 100
    assert not await db.on_connection(lambda c: c.in_transaction)


async def test_another_write_on_a_full_disk_gets_the_generic_message(
    service: AuctionHouse, db: SqliteStore, listed: int
) -> None:
    await fill_disk(db, pad_auction)
    auctions = await count(db, "SELECT COUNT(*) FROM auctions")
    with pytest.raises(StorageUnavailable) as caught:
        await service.start_auction(GUILD, MOD, "new", starting_bid=1, duration="1h")
    assert str(caught.value) == GENERIC
    assert "nothing was changed" in GENERIC
    assert "bid" not in GENERIC
    assert await count(db, "SELECT COUNT(*) FROM auctions") == auctions
    assert await count(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'start'") == 2


async def test_the_bot_recovers_once_there_is_room_again(
    service: AuctionHouse, db: SqliteStore, listed: int
) -> None:
    await fill_disk(db, pad_bid)
    with pytest.raises(StorageUnavailable):
        await service.bid_on_handle(GUILD, BOB, "og", 500)
    await fill_disk(db, pad_auction)
    with pytest.raises(StorageUnavailable):
        await service.start_auction(GUILD, MOD, "new", starting_bid=1, duration="1h")

    await make_room(db)
    receipt = await service.bid_on_handle(GUILD, BOB, "og", 500)
    assert (receipt.auction.price, receipt.auction.leader_id) == (500, BOB.user_id)
    assert receipt.outbid_user_id == ALICE.user_id
    assert (await service.start_auction(GUILD, MOD, "new", starting_bid=1, duration="1h")).is_open
    view = await service.get_by_id(listed)
    assert (view.price, view.leader_id, view.bid_count) == (500, BOB.user_id, 2)
    assert await count(db, f"SELECT COUNT(*) FROM bids WHERE auction_id = {listed}") == 2


async def test_a_full_disk_in_a_batch_fails_every_write_of_it(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock, listed: int
) -> None:
    """SQLite undoes the whole transaction on SQLITE_FULL, so a write that fitted and was
    batched with the one that did not is lost too: it must not be reported as saved."""
    await fill_disk(db, pad_bid)
    bids = await count(db, "SELECT COUNT(*) FROM bids")

    def opt_out(uow: UnitOfWork) -> None:  # a small row that fits by itself
        uow.members.set_outbid_dms(GUILD, BOB.user_id, False)

    def bid(uow: UnitOfWork) -> object:
        return place_bid(
            uow,
            lambda u: u.auctions.get(listed),
            clock=clock,
            bidder_id=BOB.user_id,
            amount=500,
            maximum=None,
            restock=Restock(ServerSettings()),
        )

    # Queued together, before the writer runs: one batch, the opt-out first.
    results = await asyncio.gather(db.write(opt_out), db.write(bid), return_exceptions=True)
    assert [type(r) for r in results] == [StorageUnavailable, StorageUnavailable]
    assert all(isinstance(r, StorageUnavailable) and r.message == GENERIC for r in results)
    assert await service.wants_outbid_dms(GUILD, BOB.user_id)  # the opt-out was not kept
    assert await count(db, "SELECT COUNT(*) FROM bids") == bids
    assert not await db.on_connection(lambda c: c.in_transaction)

    await make_room(db)
    await asyncio.gather(db.write(opt_out), db.write(bid))
    assert not await service.wants_outbid_dms(GUILD, BOB.user_id)
    assert (await service.get_by_id(listed)).price == 500
