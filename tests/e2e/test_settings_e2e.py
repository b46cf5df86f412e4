"""Per-server settings and the admin/moderator command split, end to end: the real bot
(``python -m bot``) serving two servers at once on the loopback Discord.

Server 1 is the default world (its channels and moderator role are in the config file);
server 2 is added here with its own channels, an admin (Manage Server through a role), an
owner, a helper (a role with no permissions) and plain members. The config file lists both
servers in ``guild_ids``, so one bot and one database serve both."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    CAROL_ID,
    CHANNEL,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    OWNER_ID,
    ROLE,
    ChannelSpec,
    DiscordEmulator,
    GuildSpec,
    MemberSpec,
    Opt,
    RoleSpec,
    StoredMessage,
    default_world,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    assert_private_answer,
    embed,
    fields,
    respond,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

WAIT = 20.0  # seconds: generous, every wait ends as soon as its condition holds

# --- server 2 -------------------------------------------------------------------------------

GUILD2_ID = 1_210_000_000_000_002_100
AUCTIONS2_ID = 1_210_000_000_000_002_201
GENERAL2_ID = 1_210_000_000_000_002_202
AUDIT2_ID = 1_210_000_000_000_002_203
ADMIN2_ROLE_ID = 1_210_000_000_000_002_301
HELPER2_ROLE_ID = 1_210_000_000_000_002_302
OWNER2_ID = 1_210_000_000_000_002_401
ADMIN2_ID = 1_210_000_000_000_002_402  # Manage Server through the Admin role
DAVE_ID = 1_210_000_000_000_002_403  # a plain member
ERIN_ID = 1_210_000_000_000_002_404  # a plain member
HELPER2_ID = 1_210_000_000_000_002_405  # a role with no permissions, made a moderator role


def second_server() -> GuildSpec:
    return GuildSpec(
        id=GUILD2_ID,
        name="Gem Exchange",
        owner_id=OWNER2_ID,
        roles=(
            RoleSpec(ADMIN2_ROLE_ID, "Admin", str(MANAGE_GUILD), position=2),
            RoleSpec(HELPER2_ROLE_ID, "Helper", "0", position=1),
        ),
        channels=(
            ChannelSpec(AUCTIONS2_ID, "gem-auctions"),
            ChannelSpec(GENERAL2_ID, "lobby"),
            ChannelSpec(AUDIT2_ID, "mod-log"),
        ),
        members=(
            MemberSpec(OWNER2_ID, "gem_owner"),
            MemberSpec(ADMIN2_ID, "gem_admin", (ADMIN2_ROLE_ID,)),
            MemberSpec(DAVE_ID, "dave"),
            MemberSpec(ERIN_ID, "erin"),
            MemberSpec(HELPER2_ID, "helper_hal", (HELPER2_ROLE_ID,)),
        ),
    )


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    """This module's world: the default server and server 2 (overrides conftest's)."""
    async with DiscordEmulator([*default_world(), second_server()]) as emu:
        yield emu
        await emu.flush_validation()
        assert emu.spec_violations == [], emu.spec_violations
        assert emu.unknown_requests == [], emu.unknown_requests
        assert emu.unrecovered_rate_limits() == [], emu.unrecovered_rate_limits()


@pytest.fixture
async def bot(emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """One bot for both servers (overrides conftest's): both ids in ``guild_ids``."""
    process = BotProcess(emulator, tmp_path, guild=f"{GUILD_ID}, {GUILD2_ID}")
    await process.start()
    yield process
    code = await process.stop()
    log = process.log()
    assert code == 0, log
    assert "Traceback" not in log, log


# --- helpers --------------------------------------------------------------------------------


def here(guild_id: int) -> int:
    """The channel a server's commands are typed in (not its auction channel)."""
    return GENERAL2_ID if guild_id == GUILD2_ID else GENERAL_CHANNEL_ID


async def command(
    emulator: DiscordEmulator,
    user_id: int,
    name: str,
    options: dict[str, Any] | None = None,
    subcommand: str | None = None,
    *,
    guild_id: int = GUILD_ID,
) -> str:
    """Run a slash command in the server; its ephemeral answer's text."""
    payload = emulator.slash(user_id, name, options, subcommand, channel_id=here(guild_id))
    return await answered(emulator, payload)


async def settings_set(
    emulator: DiscordEmulator, user_id: int, key: str, value: str, *, guild_id: int
) -> str:
    return await command(
        emulator, user_id, "settings", {"key": key, "value": value}, "set", guild_id=guild_id
    )


async def settings_show(emulator: DiscordEmulator, user_id: int, *, guild_id: int) -> str:
    """``/settings show`` by an admin: the embed's title and its lines, one setting a line."""
    payload = emulator.slash(user_id, "settings", None, "show", channel_id=here(guild_id))
    handle = await respond(emulator, payload)

    def shown() -> list[StoredMessage]:
        answers = [m for m in [handle.original, *handle.followups] if m is not None]
        return [m for m in answers if m.data.get("embeds")]

    await emulator.wait_for(shown, WAIT)
    assert_private_answer(handle)
    found = embed(shown()[0])
    lines = [found.get("title", "")]
    lines += [line for f in found.get("fields", []) for line in f["value"].split("\n")]
    return "\n".join(lines)


async def start(
    emulator: DiscordEmulator,
    user_id: int,
    handle: str,
    *,
    guild_id: int,
    starting_bid: int = 100,
    duration: str = "1h",
) -> str:
    options = {"handle": handle, "starting_bid": starting_bid, "duration": duration}
    return await command(emulator, user_id, "auctioneer", options, "start", guild_id=guild_id)


async def place_bid(
    emulator: DiscordEmulator, user_id: int, handle: str, amount: int, *, guild_id: int
) -> str:
    options = {"handle": handle, "amount": amount}
    return await command(emulator, user_id, "bid", options, guild_id=guild_id)


def setting_line(shown: str, key: str) -> str:
    """The line of ``/settings show`` for ``key``, e.g. "**currency.name**: `credits` *(default)*"."""
    found = re.search(rf"\*\*{re.escape(key)}\*\*: [^\n]*", shown)
    assert found, f"/settings show has no line for {key}: {shown!r}"
    return found.group(0)


def refused_channel(text: str) -> bool:
    """The refusal of a channel from another server: discord.py already refuses a channel
    option that is not in the server's cache, and the bot names the reason, as the core's own
    check does."""
    return "not in this server" in text


def titled(emulator: DiscordEmulator, channel_id: int, handle: str) -> StoredMessage | None:
    for message in emulator.channel_messages(channel_id):
        if any(handle in e.get("title", "") for e in message.data.get("embeds", [])):
            return message
    return None


async def post_in(emulator: DiscordEmulator, channel_id: int, handle: str) -> StoredMessage:
    """The live post for ``handle`` in ``channel_id``, once it is there."""
    found: StoredMessage = await emulator.wait_for(
        lambda: titled(emulator, channel_id, handle), WAIT
    )
    return found


async def shows(emulator: DiscordEmulator, post: StoredMessage, wanted: dict[str, str]) -> None:
    """Wait until the post's fields read ``wanted`` (it is edited as bids come in)."""

    def current() -> bool:
        now = emulator.message_by_id(post.id) or post
        shown = fields(now)
        return all(shown.get(name) == value for name, value in wanted.items())

    try:
        await emulator.wait_for(current, WAIT)
    except TimeoutError:
        now = emulator.message_by_id(post.id) or post
        raise AssertionError(f"post never showed {wanted}; it shows {fields(now)}") from None


async def audit_copy(emulator: DiscordEmulator, channel_id: int, *parts: str) -> StoredMessage:
    """The audit channel's copy whose text contains every one of ``parts``."""

    def find() -> StoredMessage | None:
        for message in emulator.channel_messages(channel_id):
            if all(part in message.content for part in parts):
                return message
        return None

    try:
        found: StoredMessage = await emulator.wait_for(find, WAIT)
    except TimeoutError:
        texts = [m.content for m in emulator.channel_messages(channel_id)]
        raise AssertionError(f"no audit copy with {parts} in {channel_id}: {texts}") from None
    return found


def all_embed_titles(emulator: DiscordEmulator, *channel_ids: int) -> list[str]:
    return [
        e.get("title", "")
        for channel_id in channel_ids
        for m in emulator.channel_messages(channel_id)
        for e in m.data.get("embeds", [])
    ]


# --- 1. which commands Discord shows to whom -------------------------------------------------

ADMIN_COMMANDS = {
    "auctioneer": {
        "start", "cancel", "end", "extend", "void-bid", "release", "drop", "drops", "drop-cancel",
        "paid", "unbar", "report", "credit", "debit",
    },
    "settings": {"show", "set", "reset", "channel", "role", "reserved", "brands", "tiers"},
    "inventory": {"import", "list", "show", "remove"},
}  # fmt: skip
MEMBER_COMMANDS = ("bid", "auction", "outbid-alerts", "handles", "wallet")
SETTABLE_KEYS = {
    "currency.name",
    "currency.max_amount",
    "handles.platform",
    "handles.generic.min_length",
    "handles.generic.max_length",
    "handles.generic.characters",
    "bidding.increment_absolute",
    "bidding.increment_percent",
    "bidding.anti_snipe_window",
    "bidding.anti_snipe_extension",
    "bidding.max_extensions",
    "auctions.min_duration",
    "auctions.max_duration",
    "inventory.base_price",
    "inventory.min_sales",
    "drops.announce_lead",
    "relist.enabled",
    "relist.wait",
    "relist.drop_percent",
    "relist.floor",
    "relist.max_relists",
    "money.mode",
    "money.payment_deadline",
    "money.offer_deadline",
    "money.second_chances",
    "money.defaults_to_bar",
}


async def test_synced_commands_hide_moderation_and_settings_from_members(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    for guild_id in (GUILD_ID, GUILD2_ID):
        synced = {c["name"]: c for c in emulator.commands(guild_id)}
        assert set(ADMIN_COMMANDS) | set(MEMBER_COMMANDS) <= set(synced), (guild_id, synced)

        # What the bot itself sent in its PUT (not only what the emulator stored back).
        puts = emulator.requests("PUT", rf"/applications/\d+/guilds/{guild_id}/commands$")
        assert puts, f"the commands were never synced to {guild_id}"
        sent = {c["name"]: c for c in puts[-1].json}

        for name, subcommands in ADMIN_COMMANDS.items():
            assert synced[name]["default_member_permissions"] == str(MANAGE_GUILD) == "32", (
                name,
                synced[name],
            )
            assert str(sent[name].get("default_member_permissions")) == "32", sent[name]
            assert {o["name"] for o in synced[name]["options"]} == subcommands, synced[name]
        for name in MEMBER_COMMANDS:
            assert synced[name]["default_member_permissions"] is None, (name, synced[name])
            assert sent[name].get("default_member_permissions") is None, sent[name]

        # /settings set completes the settable keys (more than Discord's 25 choices).
        set_command = next(o for o in synced["settings"]["options"] if o["name"] == "set")
        key = next(o for o in set_command["options"] if o["name"] == "key")
        assert key.get("autocomplete") is True and not key.get("choices"), key
    offered = await emulator.send_interaction(
        emulator.autocomplete(OWNER_ID, "settings", {"key": "relist", "value": "x"}, "key", "set")
    )
    choices = (await offered.response())["data"]["choices"]
    assert {c["value"] for c in choices} == {k for k in SETTABLE_KEYS if "relist" in k}
    everything = await emulator.send_interaction(
        emulator.autocomplete(OWNER_ID, "settings", {"key": "", "value": "x"}, "key", "set")
    )
    # Discord takes at most 25 choices: typing narrows the rest down.
    assert len(SETTABLE_KEYS) == 26
    assert len((await everything.response())["data"]["choices"]) == 25
    money = await emulator.send_interaction(
        emulator.autocomplete(OWNER_ID, "settings", {"key": "money", "value": "x"}, "key", "set")
    )
    assert {c["value"] for c in (await money.response())["data"]["choices"]} == {
        k for k in SETTABLE_KEYS if k.startswith("money.")
    }


# --- 2. two servers, two sets of settings, at the same time -----------------------------------


async def test_two_servers_keep_their_own_currency_and_increment(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # Server 2's admin (Manage Server through a role) configures it; server 1 is left alone.
    changed = await settings_set(emulator, ADMIN2_ID, "currency.name", "gems", guild_id=GUILD2_ID)
    assert "**currency.name** changed from `credits` to `gems`" in changed, changed
    changed = await settings_set(
        emulator, ADMIN2_ID, "bidding.increment_absolute", "50", guild_id=GUILD2_ID
    )
    assert "**bidding.increment_absolute** changed from `10` to `50`" in changed, changed
    changed = await command(
        emulator,
        ADMIN2_ID,
        "settings",
        {"which": "auction", "channel": Opt(CHANNEL, AUCTIONS2_ID)},
        "channel",
        guild_id=GUILD2_ID,
    )
    assert f"to <#{AUCTIONS2_ID}>" in changed, changed

    shown2 = await settings_show(emulator, OWNER2_ID, guild_id=GUILD2_ID)
    assert setting_line(shown2, "currency.name") == "**currency.name**: `gems`", shown2
    assert setting_line(shown2, "bidding.increment_absolute") == (
        "**bidding.increment_absolute**: `50`"
    )
    assert setting_line(shown2, "channels.auction") == f"**channels.auction**: <#{AUCTIONS2_ID}>"
    # Server 1's channel and role from the config file are not server 2's defaults.
    assert str(AUCTIONS_CHANNEL_ID) not in shown2 and str(MODERATOR_ROLE_ID) not in shown2

    shown1 = await settings_show(emulator, OWNER_ID, guild_id=GUILD_ID)
    assert setting_line(shown1, "currency.name") == "**currency.name**: `credits` *(default)*"
    assert setting_line(shown1, "bidding.increment_absolute") == (
        "**bidding.increment_absolute**: `10` *(default)*"
    )
    assert setting_line(shown1, "channels.auction") == (
        f"**channels.auction**: <#{AUCTIONS_CHANNEL_ID}> *(default)*"
    )

    # An auction in each server, started from a lobby channel: each goes to its own
    # auction channel, in its own currency.
    started2 = await start(emulator, ADMIN2_ID, "@gemdeal", guild_id=GUILD2_ID)
    assert "Auction for @gemdeal started" in started2 and f"<#{AUCTIONS2_ID}>" in started2
    started1 = await start(emulator, MODERATOR_ID, "@creditdeal", guild_id=GUILD_ID)
    assert "Auction for @creditdeal started" in started1 and f"<#{AUCTIONS_CHANNEL_ID}>" in started1

    post2 = await post_in(emulator, AUCTIONS2_ID, "@gemdeal")
    post1 = await post_in(emulator, AUCTIONS_CHANNEL_ID, "@creditdeal")
    assert fields(post2)["Minimum next bid"] == "100 gems", fields(post2)
    assert fields(post1)["Minimum next bid"] == "100 credits", fields(post1)

    # Bids: the next minimum follows each server's increment (5%, at least 50 / at least 10).
    bid2 = await place_bid(emulator, DAVE_ID, "gemdeal", 100, guild_id=GUILD2_ID)
    assert bid2 == "You lead @gemdeal at **100 gems**.", bid2
    bid1 = await place_bid(emulator, ALICE_ID, "creditdeal", 100, guild_id=GUILD_ID)
    assert bid1 == "You lead @creditdeal at **100 credits**.", bid1
    await shows(emulator, post2, {"Current price": "100 gems", "Minimum next bid": "150 gems"})
    await shows(
        emulator, post1, {"Current price": "100 credits", "Minimum next bid": "110 credits"}
    )
    too_low = await place_bid(emulator, ERIN_ID, "gemdeal", 120, guild_id=GUILD2_ID)
    assert "The minimum bid is 150" in too_low and "credits" not in too_low, too_low

    # Each server sees only its own auctions.
    assert "There is no auction for `@creditdeal`" in await command(
        emulator, ERIN_ID, "auction", {"handle": "creditdeal"}, "info", guild_id=GUILD2_ID
    )
    assert "There is no auction for `@gemdeal`" in await command(
        emulator, CAROL_ID, "auction", {"handle": "gemdeal"}, "info", guild_id=GUILD_ID
    )

    # Server 2 changes its currency and increment again: the running auction keeps the
    # currency and terms it started with...
    await settings_set(emulator, ADMIN2_ID, "currency.name", "rubies", guild_id=GUILD2_ID)
    await settings_set(emulator, ADMIN2_ID, "bidding.increment_absolute", "500", guild_id=GUILD2_ID)
    details = await command(
        emulator, ERIN_ID, "auction", {"handle": "gemdeal"}, "info", guild_id=GUILD2_ID
    )
    assert "100 gems" in details and "rubies" not in details, details
    assert "at least +50 gems" in details, details
    bid2 = await place_bid(emulator, ERIN_ID, "gemdeal", 150, guild_id=GUILD2_ID)
    assert bid2 == "You lead @gemdeal at **150 gems**.", bid2
    await shows(emulator, post2, {"Current price": "150 gems", "Minimum next bid": "200 gems"})
    assert "rubies" not in str((emulator.message_by_id(post2.id) or post2).data)

    # ... while a new one starts on the new settings, and server 1 never changed.
    await start(emulator, ADMIN2_ID, "@rubydeal", guild_id=GUILD2_ID, starting_bid=1_000)
    post3 = await post_in(emulator, AUCTIONS2_ID, "@rubydeal")
    assert fields(post3)["Minimum next bid"] == "1,000 rubies", fields(post3)
    await place_bid(emulator, DAVE_ID, "rubydeal", 1_000, guild_id=GUILD2_ID)
    await shows(emulator, post3, {"Minimum next bid": "1,500 rubies"})

    bid1 = await place_bid(emulator, CAROL_ID, "creditdeal", 110, guild_id=GUILD_ID)
    assert bid1 == "You lead @creditdeal at **110 credits**.", bid1
    await shows(
        emulator, post1, {"Current price": "110 credits", "Minimum next bid": "120 credits"}
    )
    # Nothing of server 2's went to server 1's channels, nor the other way round.
    assert all_embed_titles(emulator, AUCTIONS_CHANNEL_ID, GENERAL_CHANNEL_ID) == [
        "@creditdeal is up for auction"
    ]
    assert not any("creditdeal" in t for t in all_embed_titles(emulator, AUCTIONS2_ID, GENERAL2_ID))


# --- 3. members without Manage Server are refused ---------------------------------------------


async def test_members_without_manage_server_are_refused(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    for guild_id, member in ((GUILD2_ID, DAVE_ID), (GUILD2_ID, HELPER2_ID), (GUILD_ID, CAROL_ID)):
        refusal = await settings_set(emulator, member, "currency.name", "hacked", guild_id=guild_id)
        assert refusal == (
            "Only server admins (members with Manage Server) can change the bot's settings."
        ), refusal
        refusal = await command(emulator, member, "settings", None, "show", guild_id=guild_id)
        assert "Only server admins" in refusal, refusal
        refusal = await command(
            emulator,
            member,
            "settings",
            {"which": "audit", "channel": Opt(CHANNEL, here(guild_id))},
            "channel",
            guild_id=guild_id,
        )
        assert "Only server admins" in refusal, refusal

    # Server 2 has no moderator role yet: its plain members can't run auctions.
    for member in (DAVE_ID, HELPER2_ID):
        refusal = await start(emulator, member, "@notyours", guild_id=GUILD2_ID)
        assert "Only moderators" in refusal, refusal

    # Nothing changed: the admins still see the defaults ...
    for guild_id, admin in ((GUILD2_ID, ADMIN2_ID), (GUILD_ID, OWNER_ID)):
        shown = await settings_show(emulator, admin, guild_id=guild_id)
        assert setting_line(shown, "currency.name") == "**currency.name**: `credits` *(default)*"
        assert "hacked" not in shown
    shown = await settings_show(emulator, ADMIN2_ID, guild_id=GUILD2_ID)
    assert setting_line(shown, "channels.audit") == "**channels.audit**: none *(default)*"

    # ... and the refused auction was never posted: an admin's auction started afterwards
    # is (server 2 has no auction channel, so it goes up where the command was used).
    await start(emulator, ADMIN2_ID, "@afterwards", guild_id=GUILD2_ID)
    await post_in(emulator, GENERAL2_ID, "@afterwards")
    titles = all_embed_titles(emulator, AUCTIONS2_ID, GENERAL2_ID, AUDIT2_ID)
    assert titles == ["@afterwards is up for auction"], titles
    assert "There is no auction for `@notyours`" in await command(
        emulator, ERIN_ID, "auction", {"handle": "notyours"}, "info", guild_id=GUILD2_ID
    )


# --- 4. /settings show, a bad value, the audit copy -------------------------------------------


async def test_show_marks_defaults_bad_values_are_refused_and_changes_are_audited(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    shown = await settings_show(emulator, ADMIN2_ID, guild_id=GUILD2_ID)
    assert "Settings for this server" in shown, shown
    for line in (
        "**currency.name**: `credits` *(default)*",
        "**currency.max_amount**: `1,000,000` *(default)*",
        "**handles.platform**: `x` *(default)*",
        "**bidding.increment_absolute**: `10` *(default)*",
        "**bidding.increment_percent**: `5%` *(default)*",
        "**bidding.anti_snipe_window**: `2s` *(default)*",
        "**auctions.max_duration**: `30d` *(default)*",
        "**channels.auction**: none *(default)*",
        "**channels.audit**: none *(default)*",
        "**roles.moderators**: none *(default)*",
        "**handles.reserved**: @admin *(default)*",
    ):
        assert line in shown, (line, shown)

    # The audit channel first; from then on every change is copied there.
    changed = await command(
        emulator,
        ADMIN2_ID,
        "settings",
        {"which": "audit", "channel": Opt(CHANNEL, AUDIT2_ID)},
        "channel",
        guild_id=GUILD2_ID,
    )
    assert f"**channels.audit** changed from none to <#{AUDIT2_ID}>" in changed, changed

    # A value out of range names the key and the range, and changes nothing.
    refusal = await settings_set(
        emulator, ADMIN2_ID, "bidding.increment_percent", "5000", guild_id=GUILD2_ID
    )
    assert "`bidding.increment_percent`" in refusal, refusal
    assert "between 0 and 1,000" in refusal and "5,000" in refusal, refusal
    refusal = await settings_set(
        emulator, ADMIN2_ID, "auctions.min_duration", "soon", guild_id=GUILD2_ID
    )
    assert "`auctions.min_duration`" in refusal, refusal

    changed = await settings_set(emulator, ADMIN2_ID, "currency.name", "gems", guild_id=GUILD2_ID)
    assert changed.startswith("**currency.name** changed from `credits` to `gems`."), changed
    copy = await audit_copy(emulator, AUDIT2_ID, "**setting**", "currency.name", "gems")
    assert copy.content == f"<@{ADMIN2_ID}> **setting**: currency.name: credits -> gems", copy
    assert copy.data["mentions"] == []  # names the admin without pinging them
    assert not copy.ephemeral

    shown = await settings_show(emulator, ADMIN2_ID, guild_id=GUILD2_ID)
    assert setting_line(shown, "currency.name") == "**currency.name**: `gems`"
    assert setting_line(shown, "bidding.increment_percent") == (
        "**bidding.increment_percent**: `5%` *(default)*"
    )
    assert setting_line(shown, "auctions.min_duration") == (
        "**auctions.min_duration**: `1s` *(default)*"
    )
    assert setting_line(shown, "channels.audit") == f"**channels.audit**: <#{AUDIT2_ID}>"

    # A reset goes back to the default, marked so, and is copied too.
    changed = await command(
        emulator, ADMIN2_ID, "settings", {"key": "currency.name"}, "reset", guild_id=GUILD2_ID
    )
    assert "**currency.name** changed from `gems` to `credits`" in changed, changed
    await audit_copy(emulator, AUDIT2_ID, "currency.name: gems -> credits (default)")
    shown = await settings_show(emulator, ADMIN2_ID, guild_id=GUILD2_ID)
    assert setting_line(shown, "currency.name") == "**currency.name**: `credits` *(default)*"

    # The refused values were never audited, and nothing went to server 1's audit channel.
    audited = [m.content for m in emulator.channel_messages(AUDIT2_ID)]
    assert not any("increment_percent" in t or "min_duration" in t for t in audited), audited
    assert not any(
        "currency.name" in m.content for m in emulator.channel_messages(AUDIT_CHANNEL_ID)
    )


# --- 5. moderator roles, and ids from the other server ----------------------------------------


async def test_a_moderator_role_lets_its_members_run_auctions_and_foreign_ids_are_refused(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    refusal = await start(emulator, HELPER2_ID, "@helperdeal", guild_id=GUILD2_ID)
    assert "Only moderators" in refusal, refusal

    changed = await command(
        emulator,
        ADMIN2_ID,
        "settings",
        {"action": "add", "kind": "moderators", "role": Opt(ROLE, HELPER2_ROLE_ID)},
        "role",
        guild_id=GUILD2_ID,
    )
    assert f"**roles.moderators**: added <@&{HELPER2_ROLE_ID}> (1 now)." in changed, changed

    started = await start(emulator, HELPER2_ID, "@helperdeal", guild_id=GUILD2_ID)
    assert "Auction for @helperdeal started" in started, started
    post = await post_in(emulator, GENERAL2_ID, "@helperdeal")
    assert embed(post)["title"] == "@helperdeal is up for auction"
    # A moderator role is not an admin role: the helper still can't change settings.
    assert "Only server admins" in await settings_set(
        emulator, HELPER2_ID, "currency.name", "gems", guild_id=GUILD2_ID
    )
    # Server 1's moderator role means nothing in server 2 ...
    assert "Only moderators" in await start(emulator, DAVE_ID, "@davedeal", guild_id=GUILD2_ID)

    # ... and server 1's role and channel can't be picked in server 2's settings.
    refusal = await command(
        emulator,
        ADMIN2_ID,
        "settings",
        {"action": "add", "kind": "moderators", "role": Opt(ROLE, MODERATOR_ROLE_ID)},
        "role",
        guild_id=GUILD2_ID,
    )
    assert "not in this server" in refusal, refusal
    for which, channel_id in (("auction", AUCTIONS_CHANNEL_ID), ("audit", AUDIT_CHANNEL_ID)):
        refusal = await command(
            emulator,
            ADMIN2_ID,
            "settings",
            {"which": which, "channel": Opt(CHANNEL, channel_id)},
            "channel",
            guild_id=GUILD2_ID,
        )
        assert refused_channel(refusal), refusal
    # The same the other way round: server 2's role and channel in server 1.
    refusal = await command(
        emulator,
        OWNER_ID,
        "settings",
        {"action": "add", "kind": "bidders", "role": Opt(ROLE, HELPER2_ROLE_ID)},
        "role",
        guild_id=GUILD_ID,
    )
    assert "not in this server" in refusal, refusal
    refusal = await command(
        emulator,
        OWNER_ID,
        "settings",
        {"which": "auction", "channel": Opt(CHANNEL, AUCTIONS2_ID)},
        "channel",
        guild_id=GUILD_ID,
    )
    assert refused_channel(refusal), refusal

    # None of the refused changes took.
    shown = await settings_show(emulator, ADMIN2_ID, guild_id=GUILD2_ID)
    assert setting_line(shown, "roles.moderators") == f"**roles.moderators**: <@&{HELPER2_ROLE_ID}>"
    assert setting_line(shown, "channels.auction") == "**channels.auction**: none *(default)*"
    assert setting_line(shown, "channels.audit") == "**channels.audit**: none *(default)*"
    shown = await settings_show(emulator, OWNER_ID, guild_id=GUILD_ID)
    assert setting_line(shown, "roles.bidders") == "**roles.bidders**: none *(default)*"
    assert setting_line(shown, "channels.auction") == (
        f"**channels.auction**: <#{AUCTIONS_CHANNEL_ID}> *(default)*"
    )

    # Removing the role takes the power away again.
    await command(
        emulator,
        ADMIN2_ID,
        "settings",
        {"action": "remove", "kind": "moderators", "role": Opt(ROLE, HELPER2_ROLE_ID)},
        "role",
        guild_id=GUILD2_ID,
    )
    assert "Only moderators" in await start(emulator, HELPER2_ID, "@again", guild_id=GUILD2_ID)
