"""Ids from outside: a button's custom id is typed by whoever made the message, and may carry
an auction id of up to 20 digits. SQLite's integers are 64-bit signed, so an id beyond them
must be "not found", never an OverflowError from the driver."""

from __future__ import annotations

import pytest

from bot.auctions.house import AuctionHouse
from bot.domain.errors import AuctionNotFound, NothingToVoid
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, GUILD, MOD, OTHER_GUILD

GONE = "That auction no longer exists."
HOSTILE = [2**63 - 1, 2**63, 2**64, 10**20 - 1, 0, -1, -(2**63) - 1]


async def count(db: SqliteStore, sql: str) -> int:
    return await db.on_connection(lambda c: c.execute(sql).fetchone()[0])


@pytest.fixture
async def listed(service: AuctionHouse) -> int:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 100)
    return view.id


@pytest.mark.parametrize("auction_id", HOSTILE)
async def test_reading_an_out_of_range_id_is_not_found(
    service: AuctionHouse, listed: int, auction_id: int
) -> None:
    with pytest.raises(AuctionNotFound) as caught:
        await service.get_by_id(auction_id)
    assert str(caught.value) == GONE
    with pytest.raises(AuctionNotFound, match=GONE):
        await service.get_by_id(auction_id, ALICE.user_id, guild_id=GUILD)


@pytest.mark.parametrize("auction_id", HOSTILE)
async def test_bidding_on_an_out_of_range_id_is_not_found(
    service: AuctionHouse, db: SqliteStore, listed: int, auction_id: int
) -> None:
    with pytest.raises(AuctionNotFound) as caught:
        await service.bid_on_auction(GUILD, ALICE, auction_id, 200)
    assert str(caught.value) == GONE
    assert await count(db, "SELECT COUNT(*) FROM bids") == 1
    assert (await service.get_by_id(listed)).price == 100


@pytest.mark.parametrize("auction_id", HOSTILE)
async def test_the_history_of_an_out_of_range_id_is_not_found(
    service: AuctionHouse, listed: int, auction_id: int
) -> None:
    with pytest.raises(AuctionNotFound) as caught:
        await service.bid_history(GUILD, auction_id=auction_id)
    assert str(caught.value) == GONE


async def test_the_ids_named_in_the_brief(service: AuctionHouse, listed: int) -> None:
    for call in (
        lambda: service.get_by_id(2**63),
        lambda: service.get_by_id(10**20 - 1),
        lambda: service.bid_on_auction(GUILD, ALICE, 2**64, 100),
        lambda: service.bid_history(GUILD, auction_id=2**63),
    ):
        with pytest.raises(AuctionNotFound) as caught:
            await call()
        assert str(caught.value) == GONE
        assert not isinstance(caught.value.__context__, OverflowError)


@pytest.mark.parametrize("bid_id", [2**63, 2**64, 10**20 - 1, 0, -1])
async def test_voiding_an_out_of_range_bid_id_voids_nothing(
    service: AuctionHouse, db: SqliteStore, listed: int, bid_id: int
) -> None:
    with pytest.raises(NothingToVoid, match=f"no live bid #{bid_id} to void"):
        await service.void_bids(GUILD, MOD, "og", ALICE.user_id, "typo", bid_id=bid_id)
    assert await count(db, "SELECT COUNT(*) FROM bids WHERE voided_at IS NOT NULL") == 0
    assert await count(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'void'") == 0
    assert (await service.get_by_id(listed)).leader_id == ALICE.user_id


async def test_a_real_id_still_works_and_stays_on_its_server(
    service: AuctionHouse, listed: int
) -> None:
    # The range check must not turn valid ids away, nor let a button reach another server.
    assert (await service.get_by_id(listed, guild_id=GUILD)).price == 100
    receipt = await service.bid_on_auction(GUILD, MOD, listed, 200)
    assert receipt.auction.price == 200
    assert [b.price_after for b in await service.bid_history(GUILD, auction_id=listed)] == [
        200,
        100,
    ]
    with pytest.raises(AuctionNotFound, match=GONE):
        await service.bid_on_auction(OTHER_GUILD, ALICE, listed, 300)
    with pytest.raises(AuctionNotFound, match=GONE):
        await service.bid_history(OTHER_GUILD, auction_id=listed)
