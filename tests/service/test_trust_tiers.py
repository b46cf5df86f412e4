"""Trust tiers: bids above a server's tier amounts need its roles, on every bid path, and
only admins change the tiers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.errors import BidRefused, InvalidAmount, InvalidInput, NotPermitted
from bot.domain.payments import TrustLimits, TrustTier
from bot.ports import TrustingDirectory
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, BOB, GUILD, MOD, OTHER_GUILD, SETTINGS, make_service
from tests.fakes import RecordingTimer

VERIFIED = 5_001
VERIFIED_BOB = Actor(user_id=BOB.user_id, role_ids=frozenset({VERIFIED}))


async def bids(db: SqliteStore) -> list[tuple[object, ...]]:
    return await db.on_connection(
        lambda c: c.execute("SELECT bidder_id, amount, max_amount FROM bids ORDER BY id").fetchall()
    )


@pytest.fixture
async def tiered(service: AuctionHouse) -> AuctionHouse:
    await service.change_tiers(GUILD, MOD, 10_000, VERIFIED, add=True)
    return service


async def test_a_bid_above_a_tier_without_its_role_is_refused_by_handle_and_by_post(
    tiered: AuctionHouse, db: SqliteStore
) -> None:
    view = await tiered.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    message = (
        "Bids above 10,000 credits need the <@&5001> role; you can bid up to 10,000 credits "
        "without it."
    )
    with pytest.raises(BidRefused) as by_command:
        await tiered.bid_on_handle(GUILD, ALICE, "og", 10_001)
    assert str(by_command.value) == message
    # The post's buttons and dialog bid on the auction by id: the same check.
    with pytest.raises(BidRefused, match="need the <@&5001> role"):
        await tiered.bid_on_auction(GUILD, ALICE, view.id, 20_000)
    assert await bids(db) == []


async def test_a_secret_maximum_above_a_tier_is_refused_though_the_bid_is_below(
    tiered: AuctionHouse, db: SqliteStore
) -> None:
    await tiered.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    with pytest.raises(BidRefused, match="above 10,000 credits"):
        await tiered.bid_on_handle(GUILD, ALICE, "og", 200, maximum=50_000)
    assert await bids(db) == []


async def test_bids_within_the_tier_and_bids_by_role_holders_pass(
    tiered: AuctionHouse, db: SqliteStore
) -> None:
    await tiered.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    await tiered.bid_on_handle(GUILD, ALICE, "og", 10_000)
    receipt = await tiered.bid_on_handle(GUILD, VERIFIED_BOB, "og", 20_000, maximum=90_000)
    assert (receipt.auction.price, receipt.auction.leader_id) == (20_000, BOB.user_id)
    assert await bids(db) == [(10, 10_000, 10_000), (20, 20_000, 90_000)]


async def test_tiers_are_per_server(tiered: AuctionHouse) -> None:
    await tiered.start_auction(
        OTHER_GUILD, Actor(2, manages_guild=True), "og", starting_bid=1, duration="1h"
    )
    assert (await tiered.bid_on_handle(OTHER_GUILD, ALICE, "og", 50_000)).auction.price == 50_000


async def test_only_admins_change_tiers_and_bad_tiers_are_refused(service: AuctionHouse) -> None:
    moderator_by_role = Actor(user_id=40, role_ids=frozenset({900}))
    with pytest.raises(NotPermitted, match="Manage Server"):
        await service.change_tiers(GUILD, moderator_by_role, 10_000, VERIFIED, add=True)
    with pytest.raises(NotPermitted):
        await service.change_tiers(GUILD, ALICE, 10_000, VERIFIED, add=True)
    with pytest.raises(InvalidInput, match="@everyone"):
        await service.change_tiers(GUILD, MOD, 10_000, GUILD, add=True)
    with pytest.raises(InvalidAmount, match="tier amount must be between 1 and"):
        await service.change_tiers(GUILD, MOD, 10**30, VERIFIED, add=True)
    with pytest.raises(InvalidInput, match="no trust tier at 10,000"):
        await service.change_tiers(GUILD, MOD, 10_000, None, add=False)
    assert (await service.settings_for(GUILD)).limits.tiers == ()


async def test_tiers_are_replaced_by_amount_removed_and_audited(
    service: AuctionHouse, db: SqliteStore
) -> None:
    change = await service.change_tiers(GUILD, MOD, 10_000, VERIFIED, add=True)
    assert (change.key, change.old, change.new) == ("limits.tiers", "", "10000:5001")
    await service.change_tiers(GUILD, MOD, 10_000, 7, add=True)
    await service.change_tiers(GUILD, MOD, 500, 8, add=True)
    assert (await service.settings_for(GUILD)).limits.tiers == (
        TrustTier(500, 8),
        TrustTier(10_000, 7),
    )
    await service.change_tiers(GUILD, MOD, 500, None, add=False)
    assert (await service.settings_for(GUILD)).limits.tiers == (TrustTier(10_000, 7),)
    details = await db.on_connection(
        lambda c: c.execute(
            "SELECT detail FROM audit_log WHERE action = 'setting' ORDER BY id"
        ).fetchall()
    )
    assert [d for (d,) in details][-1] == "limits.tiers: 500:8,10000:7 -> 10000:7"


async def test_the_config_files_tiers_apply_in_the_server_that_has_their_role(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    # One config file serves every server: a tier's role belongs to one of them.
    class Directory(TrustingDirectory):
        def role_in_guild(self, role_id: int, guild_id: int) -> bool:
            return guild_id == GUILD

    settings = replace(SETTINGS, limits=TrustLimits((TrustTier(1_000, VERIFIED),)))
    house = make_service(db, clock, reminders, settings)
    house.settings.use_directory(Directory())
    other_mod = Actor(2, manages_guild=True)
    await house.start_auction(GUILD, MOD, "og", starting_bid=100, duration="1h")
    await house.start_auction(OTHER_GUILD, other_mod, "og", starting_bid=100, duration="1h")
    with pytest.raises(BidRefused, match="above 1,000 credits"):
        await house.bid_on_handle(GUILD, ALICE, "og", 5_000)
    assert (await house.bid_on_handle(OTHER_GUILD, ALICE, "og", 5_000)).auction.price == 5_000
