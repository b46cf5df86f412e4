"""Per-server settings through the facade: each server's own, checked like the TOML file,
admins only, audited, and never reaching back into auctions already running."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core
from bot.clock import ManualClock
from bot.config import ConfigError, parse_config
from bot.domain.access import AccessPolicy, Actor
from bot.domain.auction import Auction
from bot.domain.errors import InvalidDuration, InvalidHandle, InvalidInput, NotPermitted
from bot.domain.money import Currency, IncrementRule
from bot.domain.payments import MoneyMode, PaymentRules
from bot.storage.factory import open_url
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, GUILD, MOD, OTHER_GUILD, SETTINGS, make_core, make_service
from tests.fakes import RecordingTimer

ROLE_MOD = Actor(user_id=40, role_ids=frozenset({900}))  # a moderator by role, not an admin
OTHER_MOD = Actor(user_id=2, manages_guild=True)


async def rows(db: SqliteStore, sql: str) -> list[tuple[object, ...]]:
    return await db.on_connection(lambda c: c.execute(sql).fetchall())


async def audit_rows(db: SqliteStore) -> list[tuple[object, ...]]:
    return await rows(db, "SELECT guild_id, actor_id, action, detail FROM audit_log ORDER BY id")


async def outbox_kinds(db: SqliteStore) -> list[tuple[object, ...]]:
    return await rows(db, "SELECT guild_id, kind FROM outbox ORDER BY id")


async def stored_auction(db: SqliteStore, auction_id: int) -> Auction:
    return await db.read(lambda uow: uow.auctions.get(auction_id))


class Directory:
    """Which server each channel and role belongs to, as the bot's Discord cache knows it."""

    def __init__(self, channels: dict[int, int], roles: dict[int, int]) -> None:
        self.channels = channels
        self.roles = roles

    def channel_in_guild(self, channel_id: int, guild_id: int) -> bool:
        return self.channels.get(channel_id) == guild_id

    def role_in_guild(self, role_id: int, guild_id: int) -> bool:
        return self.roles.get(role_id) == guild_id


# -- one server's change is that server's only ------------------------------------------------


async def test_a_change_applies_to_that_server_only(service: AuctionHouse) -> None:
    change = await service.set_setting(GUILD, MOD, "currency.name", "gems")
    assert (change.key, change.old, change.new) == ("currency.name", "credits", "gems")
    assert (await service.settings_for(GUILD)).currency.name == "gems"
    other = await service.settings_for(OTHER_GUILD)
    assert other.currency == SETTINGS.currency
    assert other == SETTINGS
    other_lines = await service.show_settings(OTHER_GUILD, OTHER_MOD)
    assert all(line.is_default for line in other_lines)
    # An auction on the other server is still listed in the default currency.
    view = await service.start_auction(OTHER_GUILD, OTHER_MOD, "og", starting_bid=1, duration="1h")
    assert view.currency.name == "credits"


async def test_a_running_auction_keeps_its_currency_and_a_new_one_uses_the_new_one(
    service: AuctionHouse,
) -> None:
    old = await service.start_auction(GUILD, MOD, "old", starting_bid=100, duration="1h")
    assert old.currency == SETTINGS.currency
    await service.set_setting(GUILD, MOD, "currency.name", "gems")
    await service.set_setting(GUILD, MOD, "currency.max_amount", "1,000")
    assert (await service.get_by_id(old.id)).currency == SETTINGS.currency
    new = await service.start_auction(GUILD, MOD, "new", starting_bid=100, duration="1h")
    assert new.currency == Currency(name="gems", max_amount=1000)
    # The old auction still takes bids up to its own currency's maximum...
    receipt = await service.bid_on_handle(GUILD, ALICE, "old", 5000)
    assert receipt.auction.price == 5000
    assert receipt.auction.currency.name == "credits"
    # ...while the new one refuses amounts above the new maximum, in the new currency.
    with pytest.raises(InvalidInput, match="between 1 and 1,000 gems"):
        await service.bid_on_handle(GUILD, ALICE, "new", 5000)


async def test_a_money_mode_switch_applies_only_to_auctions_started_after_it(
    service: AuctionHouse, db: SqliteStore
) -> None:
    before = await service.start_auction(GUILD, MOD, "before", starting_bid=100, duration="1h")
    change = await service.set_setting(GUILD, MOD, "money.mode", "pledge")
    assert (change.old, change.new) == ("none", "pledge")
    after = await service.start_auction(GUILD, MOD, "after", starting_bid=100, duration="1h")
    assert (await stored_auction(db, before.id)).money is MoneyMode.NONE
    assert (await stored_auction(db, after.id)).money is MoneyMode.PLEDGE
    with pytest.raises(InvalidInput, match="must be one of none, wallet, pledge"):
        await service.set_setting(GUILD, MOD, "money.mode", "gold")


async def test_the_config_files_money_mode_is_every_servers_default(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer
) -> None:
    settings = replace(SETTINGS, payments=PaymentRules(mode=MoneyMode.PLEDGE))
    house = make_service(db, clock, reminders, settings)
    view = await house.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    assert (await stored_auction(db, view.id)).money is MoneyMode.PLEDGE
    assert (await house.settings_for(OTHER_GUILD)).payments.mode is MoneyMode.PLEDGE


async def test_increment_anti_snipe_and_duration_changes_apply_to_new_auctions(
    service: AuctionHouse, db: SqliteStore
) -> None:
    old = await service.start_auction(GUILD, MOD, "old", starting_bid=100, duration="30m")
    for key, value in [
        ("bidding.increment_absolute", "50"),
        ("bidding.increment_percent", "0"),
        ("bidding.anti_snipe_window", "10m"),
        ("bidding.anti_snipe_extension", "3m"),
        ("bidding.max_extensions", "4"),
        ("auctions.min_duration", "1h"),
        ("auctions.max_duration", "2d"),
    ]:
        await service.set_setting(GUILD, MOD, key, value)

    with pytest.raises(InvalidDuration):
        await service.start_auction(GUILD, MOD, "short", starting_bid=100, duration="30m")
    with pytest.raises(InvalidDuration):
        await service.start_auction(GUILD, MOD, "long", starting_bid=100, duration="3d")
    new = await service.start_auction(GUILD, MOD, "new", starting_bid=100, duration="1h")
    assert new.increment == IncrementRule(absolute=50, percent=0)
    terms = (await stored_auction(db, new.id)).terms
    assert terms.anti_snipe_window == timedelta(minutes=10)
    assert terms.anti_snipe_extension == timedelta(minutes=3)
    assert terms.max_extensions == 4

    # The auction listed before keeps the terms it started with.
    assert (await service.get_by_id(old.id)).increment == SETTINGS.rules.increment
    old_terms = (await stored_auction(db, old.id)).terms
    assert old_terms.anti_snipe_window == SETTINGS.rules.anti_snipe_window
    assert old_terms.max_extensions == SETTINGS.rules.max_extensions

    await service.bid_on_handle(GUILD, ALICE, "new", 100)
    assert (await service.get_by_id(new.id)).minimum_bid == 150  # +50, not +5%/+10


# -- bad values are refused, in the TOML file's words, and change nothing ----------------------


def toml_error(raw: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, base_dir=Path("."), environ={"DISCORD_TOKEN": "t"})
    return str(caught.value)


@pytest.mark.parametrize(
    "case",
    [
        ("bidding.increment_percent", "5000", 5000, "must be between 0 and 1,000"),
        ("currency.name", "x" * 40, "x" * 40, "1-32 characters"),
        ("currency.max_amount", "0", 0, "must be between 1 and"),
        (
            "bidding.increment_absolute",
            "0",
            0,
            "must be between 1 and 4,611,686,018,427,387,904, not 0",
        ),
        ("bidding.anti_snipe_window", "400d", "400d", "must be at most 365d"),
        ("auctions.min_duration", "soon", "soon", "`auctions.min_duration`: "),
    ],
    ids=lambda case: case[0],
)
async def test_a_bad_value_is_refused_with_the_toml_wording_and_changes_nothing(
    service: AuctionHouse, db: SqliteStore, case: tuple[str, str, object, str]
) -> None:
    key, value, in_file, words = case
    section, name = key.split(".", 1)
    toml = {section: {name: in_file}}
    before = await service.settings_for(GUILD)
    with pytest.raises(InvalidInput, match=re.escape(words)) as caught:
        await service.set_setting(GUILD, MOD, key, value)
    # The same mistake in the file gets the same sentence, only the key is spelled its way.
    from_file = toml_error(toml)
    assert from_file.startswith(f"[{section}].{name}")
    assert str(caught.value) == from_file.replace(f"[{section}].{name}", f"`{key}`", 1)
    assert await service.settings_for(GUILD) == before
    assert await rows(db, "SELECT COUNT(*) FROM server_settings") == [(0,)]
    assert await audit_rows(db) == []
    assert await outbox_kinds(db) == []


async def test_a_minimum_duration_above_the_maximum_is_refused(
    service: AuctionHouse, db: SqliteStore
) -> None:
    await service.set_setting(GUILD, MOD, "auctions.max_duration", "2h")
    with pytest.raises(InvalidInput, match="must not be longer than") as caught:
        await service.set_setting(GUILD, MOD, "auctions.min_duration", "3h")
    assert "`auctions.min_duration`" in str(caught.value)
    await service.set_setting(GUILD, MOD, "auctions.min_duration", "1h")
    with pytest.raises(InvalidInput, match="must not be longer than"):
        await service.set_setting(GUILD, MOD, "auctions.max_duration", "30m")
    settings = await service.settings_for(GUILD)
    assert settings.rules.min_duration == timedelta(hours=1)
    assert settings.rules.max_duration == timedelta(hours=2)
    assert sorted(await rows(db, "SELECT key, value FROM server_settings")) == [
        ("auctions.max_duration", "2h"),
        ("auctions.min_duration", "1h"),
    ]
    assert len(await audit_rows(db)) == 2  # only the accepted changes
    # The file refuses the same contradiction.
    message = toml_error({"auctions": {"min_duration": "3h", "max_duration": "2h"}})
    assert "[auctions].min_duration must not be longer than [auctions].max_duration" in message


async def test_an_unknown_key_is_refused(service: AuctionHouse, db: SqliteStore) -> None:
    with pytest.raises(InvalidInput, match="not a setting"):
        await service.set_setting(GUILD, MOD, "currency.colour", "blue")
    with pytest.raises(InvalidInput, match="not a setting"):
        await service.reset_setting(GUILD, MOD, "nope")
    assert await audit_rows(db) == []


# -- admins only -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [ALICE, ROLE_MOD], ids=["member", "moderator-by-role"])
async def test_only_admins_change_or_see_settings(
    service: AuctionHouse, db: SqliteStore, actor: Actor
) -> None:
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: service.set_setting(GUILD, actor, "currency.name", "gems"),
        lambda: service.reset_setting(GUILD, actor, "currency.name"),
        lambda: service.set_channel(GUILD, actor, "auction", 555),
        lambda: service.set_channel(GUILD, actor, "audit", None),
        lambda: service.change_roles(GUILD, actor, "moderators", 901, add=True),
        lambda: service.change_roles(GUILD, actor, "bidders", 902, add=True),
        lambda: service.change_reserved(GUILD, actor, "vip", add=True),
        lambda: service.change_reserved(GUILD, actor, "admin", add=False),
        lambda: service.show_settings(GUILD, actor),
    ]
    for attempt in attempts:
        with pytest.raises(NotPermitted, match="Manage Server"):
            await attempt()
    assert await service.settings_for(GUILD) == SETTINGS
    assert await rows(db, "SELECT COUNT(*) FROM server_settings") == [(0,)]
    assert await audit_rows(db) == []
    assert await outbox_kinds(db) == []


async def test_a_moderator_by_role_is_still_a_moderator(service: AuctionHouse) -> None:
    # The refusal above is about settings, not a broken role check.
    view = await service.start_auction(GUILD, ROLE_MOD, "og", starting_bid=1, duration="1h")
    assert view.opened_by == ROLE_MOD.user_id


# -- every change is audited and copied to the audit channel ----------------------------------


async def test_every_change_is_audited_with_old_and_new(
    service: AuctionHouse, db: SqliteStore
) -> None:
    await service.set_setting(GUILD, MOD, "currency.name", "gems")
    await service.set_setting(GUILD, MOD, "bidding.increment_percent", "7")
    await service.set_channel(GUILD, MOD, "audit", 777)
    await service.change_roles(GUILD, MOD, "moderators", 901, add=True)
    await service.change_reserved(GUILD, MOD, "@VIP", add=True)
    await service.reset_setting(GUILD, MOD, "currency.name")
    uid = MOD.user_id
    assert await audit_rows(db) == [
        (GUILD, uid, "setting", "currency.name: credits -> gems"),
        (GUILD, uid, "setting", "bidding.increment_percent: 5% -> 7%"),
        (GUILD, uid, "setting", "channels.audit: none -> 777"),
        (GUILD, uid, "setting", "roles.moderators: 900 -> 900,901"),
        (GUILD, uid, "setting", "handles.reserved: admin, support -> admin, support, vip"),
        (GUILD, uid, "setting", "currency.name: gems -> credits (default)"),
    ]
    assert await outbox_kinds(db) == [(GUILD, "moderator_action")] * 6
    payloads = await rows(db, "SELECT auction_id, payload FROM outbox ORDER BY id")
    assert payloads[0][0] is None
    assert "credits -> gems" in str(payloads[0][1])


# -- reset -----------------------------------------------------------------------------------


async def test_reset_goes_back_to_the_default_and_show_marks_it(service: AuctionHouse) -> None:
    await service.set_setting(GUILD, MOD, "bidding.increment_absolute", "25")
    lines = {line.key: line for line in await service.show_settings(GUILD, MOD)}
    assert lines["bidding.increment_absolute"].value == "25"
    assert not lines["bidding.increment_absolute"].is_default
    assert lines["currency.name"].is_default
    assert lines["currency.name"].value == "credits"

    change = await service.reset_setting(GUILD, MOD, "bidding.increment_absolute")
    assert (change.old, change.new) == ("25", "10")
    assert (await service.settings_for(GUILD)).rules.increment == SETTINGS.rules.increment
    lines = {line.key: line for line in await service.show_settings(GUILD, MOD)}
    assert lines["bidding.increment_absolute"].value == "10"
    assert lines["bidding.increment_absolute"].is_default
    assert all(line.is_default for line in lines.values())


# -- the reserved list and the role lists ----------------------------------------------------


async def test_a_reserved_handle_cannot_be_auctioned_until_removed(service: AuctionHouse) -> None:
    await service.change_reserved(GUILD, MOD, "@vip", add=True)
    with pytest.raises(InvalidHandle, match="reserved"):
        await service.start_auction(GUILD, MOD, "vip", starting_bid=1, duration="1h")
    # Only on this server.
    await service.start_auction(OTHER_GUILD, OTHER_MOD, "vip", starting_bid=1, duration="1h")
    with pytest.raises(InvalidInput, match="already on the reserved list"):
        await service.change_reserved(GUILD, MOD, "VIP", add=True)

    await service.change_reserved(GUILD, MOD, "vip", add=False)
    view = await service.start_auction(GUILD, MOD, "vip", starting_bid=1, duration="1h")
    assert view.is_open
    with pytest.raises(InvalidInput, match="not on the reserved list"):
        await service.change_reserved(GUILD, MOD, "vip", add=False)


async def test_a_configured_reserved_handle_can_be_freed(service: AuctionHouse) -> None:
    with pytest.raises(InvalidHandle, match="reserved"):
        await service.start_auction(GUILD, MOD, "admin", starting_bid=1, duration="1h")
    await service.change_reserved(GUILD, MOD, "admin", add=False)
    assert (await service.start_auction(GUILD, MOD, "admin", starting_bid=1, duration="1h")).is_open


async def test_adding_a_moderator_role_makes_its_members_moderators(
    service: AuctionHouse,
) -> None:
    member = Actor(user_id=50, role_ids=frozenset({901}))
    with pytest.raises(NotPermitted):
        await service.start_auction(GUILD, member, "og", starting_bid=1, duration="1h")
    await service.change_roles(GUILD, MOD, "moderators", 901, add=True)
    view = await service.start_auction(GUILD, member, "og", starting_bid=1, duration="1h")
    assert view.opened_by == member.user_id
    # Not on another server.
    with pytest.raises(NotPermitted):
        await service.start_auction(OTHER_GUILD, member, "og", starting_bid=1, duration="1h")

    await service.change_roles(GUILD, MOD, "moderators", 901, add=False)
    with pytest.raises(NotPermitted):
        await service.cancel(GUILD, member, "og", "gone")


async def test_bidder_roles_restrict_bidding(service: AuctionHouse) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.change_roles(GUILD, MOD, "bidders", 902, add=True)
    with pytest.raises(NotPermitted, match="bidder role"):
        await service.bid_on_handle(GUILD, ALICE, "og", 1)
    bidder = Actor(user_id=60, role_ids=frozenset({902}))
    assert (await service.bid_on_handle(GUILD, bidder, "og", 1)).auction.price == 1


async def test_role_list_refusals(service: AuctionHouse) -> None:
    with pytest.raises(InvalidInput, match="already one of the moderator roles"):
        await service.change_roles(GUILD, MOD, "moderators", 900, add=True)
    with pytest.raises(InvalidInput, match="not one of the bidder roles"):
        await service.change_roles(GUILD, MOD, "bidders", 902, add=False)
    with pytest.raises(InvalidInput, match="@everyone"):
        await service.change_roles(GUILD, MOD, "bidders", GUILD, add=True)


# -- the cache ---------------------------------------------------------------------------------


async def test_the_cached_settings_are_forgotten_after_a_change(
    service: AuctionHouse, db: SqliteStore
) -> None:
    first = await service.settings_for(GUILD)
    assert await service.settings_for(GUILD) is first  # cached
    other = await service.settings_for(OTHER_GUILD)
    await service.set_setting(GUILD, MOD, "currency.name", "gems")
    assert (await service.settings_for(GUILD)).currency.name == "gems"
    assert await service.settings_for(OTHER_GUILD) is other  # untouched server stays cached
    await service.reset_setting(GUILD, MOD, "currency.name")
    assert (await service.settings_for(GUILD)).currency.name == "credits"
    # And the use cases see it at once (they read the same book).
    await service.set_setting(GUILD, MOD, "currency.name", "gems")
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    assert view.currency.name == "gems"


async def test_settings_survive_a_restart(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer, db_url: str
) -> None:
    await make_core(db, clock, reminders).house.set_setting(GUILD, MOD, "currency.name", "gems")
    await db.close()
    reopened = await open_url(db_url)
    try:
        house = make_core(reopened, clock, reminders).house
        assert (await house.settings_for(GUILD)).currency.name == "gems"
        assert (await house.settings_for(OTHER_GUILD)).currency.name == "credits"
    finally:
        await reopened.close()


# -- channels and roles must be the server's own ---------------------------------------------

GUILD_CHANNEL, GUILD_AUDIT, OTHER_CHANNEL = 500, 501, 600
GUILD_ROLE, OTHER_ROLE = 900, 950


@pytest.fixture
def directory() -> Directory:
    return Directory(
        channels={GUILD_CHANNEL: GUILD, GUILD_AUDIT: GUILD, OTHER_CHANNEL: OTHER_GUILD},
        roles={GUILD_ROLE: GUILD, 901: GUILD, 902: GUILD, OTHER_ROLE: OTHER_GUILD},
    )


async def test_a_channel_or_role_of_another_server_is_refused(
    core: Core, db: SqliteStore, directory: Directory
) -> None:
    core.house.settings.use_directory(directory)
    service = core.house
    with pytest.raises(InvalidInput, match="not in this server"):
        await service.set_channel(GUILD, MOD, "auction", OTHER_CHANNEL)
    with pytest.raises(InvalidInput, match="not in this server"):
        await service.set_channel(GUILD, MOD, "audit", 12345)  # unknown anywhere
    with pytest.raises(InvalidInput, match="not in this server"):
        await service.change_roles(GUILD, MOD, "moderators", OTHER_ROLE, add=True)
    with pytest.raises(InvalidInput, match="not in this server"):
        await service.change_roles(GUILD, MOD, "bidders", OTHER_ROLE, add=True)
    assert await audit_rows(db) == []
    assert await service.settings_for(GUILD) == core.house.settings.defaults_for(GUILD)

    # The server's own are taken.
    await service.set_channel(GUILD, MOD, "auction", GUILD_CHANNEL)
    await service.change_roles(GUILD, MOD, "bidders", 902, add=True)
    settings = await service.settings_for(GUILD)
    assert settings.auction_channel_id == GUILD_CHANNEL
    assert settings.access.bidder_role_ids == frozenset({902})
    # ...and the other server accepts its own channel.
    await service.set_channel(OTHER_GUILD, OTHER_MOD, "auction", OTHER_CHANNEL)
    assert (await service.settings_for(OTHER_GUILD)).auction_channel_id == OTHER_CHANNEL

    # None clears a channel.
    change = await service.set_channel(GUILD, MOD, "auction", None)
    assert (change.old, change.new) == (str(GUILD_CHANNEL), "")
    assert (await service.settings_for(GUILD)).auction_channel_id is None


async def test_the_configured_channels_and_roles_apply_only_to_their_own_server(
    db: SqliteStore, clock: ManualClock, reminders: RecordingTimer, directory: Directory
) -> None:
    configured = replace(
        SETTINGS,
        auction_channel_id=GUILD_CHANNEL,
        audit_channel_id=GUILD_AUDIT,
        access=AccessPolicy(
            moderator_role_ids=frozenset({GUILD_ROLE, OTHER_ROLE}),
            bidder_role_ids=frozenset({902}),
        ),
    )
    core = make_core(db, clock, reminders, settings=configured)
    book = core.house.settings
    book.use_directory(directory)

    mine = book.defaults_for(GUILD)
    assert (mine.auction_channel_id, mine.audit_channel_id) == (GUILD_CHANNEL, GUILD_AUDIT)
    assert mine.access.moderator_role_ids == frozenset({GUILD_ROLE})
    assert mine.access.bidder_role_ids == frozenset({902})
    theirs = book.defaults_for(OTHER_GUILD)
    assert (theirs.auction_channel_id, theirs.audit_channel_id) == (None, None)
    assert theirs.access.moderator_role_ids == frozenset({OTHER_ROLE})
    assert theirs.access.bidder_role_ids == frozenset()
    # Everything else is shared.
    assert theirs.currency == mine.currency == configured.currency
    assert theirs.rules == mine.rules == configured.rules

    service = core.house
    assert (await service.settings_for(OTHER_GUILD)).audit_channel_id is None
    assert (await service.settings_for(GUILD)).audit_channel_id == GUILD_AUDIT
    # A member with GUILD's moderator role is no moderator on the other server; there,
    # with no bidder role configured, everyone may bid.
    role_mod = Actor(user_id=70, role_ids=frozenset({GUILD_ROLE}))
    await service.start_auction(GUILD, role_mod, "og", starting_bid=1, duration="1h")
    with pytest.raises(NotPermitted):
        await service.start_auction(OTHER_GUILD, role_mod, "og", starting_bid=1, duration="1h")
    await service.start_auction(OTHER_GUILD, OTHER_MOD, "og", starting_bid=1, duration="1h")
    assert (await service.bid_on_handle(OTHER_GUILD, ALICE, "og", 1)).auction.price == 1
    with pytest.raises(NotPermitted, match="bidder role"):
        await service.bid_on_handle(GUILD, ALICE, "og", 1)

    # show_settings lists the configured channel as this server's default.
    lines = {line.key: line for line in await service.show_settings(GUILD, MOD)}
    assert lines["channels.audit"].value == str(GUILD_AUDIT)
    assert lines["channels.audit"].is_default
    other_lines = {line.key: line for line in await service.show_settings(OTHER_GUILD, OTHER_MOD)}
    assert other_lines["channels.audit"].value == ""


async def test_settings_that_only_fit_together_can_be_set_in_either_order(
    service: AuctionHouse,
) -> None:
    # The longest first, then a shortest above the old longest: both must take effect.
    await service.set_setting(GUILD, MOD, "auctions.max_duration", "60d")
    change = await service.set_setting(GUILD, MOD, "auctions.min_duration", "40d")
    assert (change.old, change.new) == ("1s", "40d")
    rules = (await service.settings_for(GUILD)).rules
    assert (rules.min_duration, rules.max_duration) == (timedelta(days=40), timedelta(days=60))
    await service.set_setting(GUILD, MOD, "handles.generic.max_length", "60")
    change = await service.set_setting(GUILD, MOD, "handles.generic.min_length", "40")
    assert change.new == "40"
    generic = (await service.settings_for(GUILD)).handles.generic
    assert (generic.min_length, generic.max_length) == (40, 60)


@pytest.mark.parametrize("value", ["²", "--5", "5-", "1e3", "99999999999999999999999"])
async def test_numbers_that_are_not_plain_digits_are_refused(
    service: AuctionHouse, value: str
) -> None:
    with pytest.raises(InvalidInput, match="must be"):
        await service.set_setting(GUILD, MOD, "bidding.max_extensions", value)
    with pytest.raises(InvalidInput, match="must be"):
        await service.set_setting(GUILD, MOD, "bidding.increment_absolute", value)


async def test_increment_and_extensions_have_an_upper_bound(service: AuctionHouse) -> None:
    with pytest.raises(InvalidInput, match="between 1 and"):
        await service.set_setting(GUILD, MOD, "bidding.increment_absolute", "9" * 20)
    with pytest.raises(InvalidInput, match="between 0 and 10,000"):
        await service.set_setting(GUILD, MOD, "bidding.max_extensions", "10001")


async def test_two_admins_adding_roles_at_once_both_land(service: AuctionHouse) -> None:
    await asyncio.gather(
        service.change_roles(GUILD, MOD, "moderators", 501, add=True),
        service.change_roles(GUILD, MOD, "moderators", 502, add=True),
    )
    roles = (await service.settings_for(GUILD)).access.moderator_role_ids
    assert {501, 502} <= roles
