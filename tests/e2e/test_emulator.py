"""Tests of the Discord emulator, driven by a real discord.py bot in-process."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.interface.loopback import point_discord_at
from bot.sandbox import (
    ALICE_ID,
    APPLICATION_ID,
    AUCTIONS_CHANNEL_ID,
    BOB_ID,
    EVERYONE_NAMED_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    USER,
    VENDORED_SPEC,
    DiscordEmulator,
    Opt,
)
from bot.sandbox.openapi_check import load_openapi

pytestmark = pytest.mark.e2e

GUILD = discord.Object(GUILD_ID)


class BidView(discord.ui.View):
    """A persistent view: clicks are routed by custom_id, even after a restart."""

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__(timeout=None)
        self.errors = errors

    @discord.ui.button(label="Bid", custom_id="auction:1:bid")
    async def bid(
        self, interaction: discord.Interaction, button: discord.ui.Button[BidView]
    ) -> None:
        assert interaction.message is not None
        content = f"{interaction.message.content} | bid by {interaction.user.name}"
        await interaction.response.edit_message(content=content)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[BidView]
    ) -> None:
        self.errors.append(error)


class BidModal(discord.ui.Modal, title="Place a bid"):
    amount: discord.ui.TextInput[BidModal] = discord.ui.TextInput(
        label="Amount", custom_id="amount"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"bid {self.amount.value}")


class AuctionTestBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.errors: list[BaseException] = []
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        add_commands(self.tree)

    async def setup_hook(self) -> None:
        self.add_view(BidView(self.errors))

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error.__cause__ or error)


def add_commands(tree: app_commands.CommandTree[AuctionTestBot]) -> None:
    @tree.command(name="ping", description="Answer with a bid button", guild=GUILD)
    async def ping(interaction: discord.Interaction, note: str = "") -> None:
        view = BidView([])
        await interaction.response.send_message(f"pong {note}".strip(), view=view)

    @tree.command(name="echo", description="Repeat", guild=GUILD)
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @tree.command(name="whois", description="Show a member", guild=GUILD)
    async def whois(interaction: discord.Interaction, who: discord.Member) -> None:
        perms = interaction.permissions
        await interaction.response.send_message(
            f"{who.name} mod={perms.manage_guild} roles={len(who.roles)}", ephemeral=True
        )

    @tree.command(name="slow", description="Answer too late", guild=GUILD)
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.25)
        await interaction.response.send_message("late")

    @tree.command(name="think", description="Defer, follow up, edit", guild=GUILD)
    async def think(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done")
        await interaction.edit_original_response(content="done, edited")

    @tree.command(name="form", description="Open a modal", guild=GUILD)
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(BidModal(custom_id="bid-modal"))

    @tree.command(name="pick", description="Autocomplete a handle", guild=GUILD)
    async def pick(interaction: discord.Interaction, handle: str) -> None:
        await interaction.response.send_message(handle)

    @pick.autocomplete("handle")
    async def pick_handle(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = ("alpha", "alpine", "beta")
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    auction = app_commands.Group(name="auction", description="Auctions", guild_ids=[GUILD_ID])

    @auction.command(name="start", description="Start an auction")
    async def start(interaction: discord.Interaction, item: str, price: int) -> None:
        await interaction.response.send_message(f"start {item} {price}")

    tree.add_command(auction)

    @tree.command(name="hello", description="A global command, usable in DMs")
    async def hello(interaction: discord.Interaction) -> None:
        where = "DM" if interaction.guild_id is None else "guild"
        await interaction.response.send_message(f"hello {interaction.user.name} in {where}")


@contextlib.asynccontextmanager
async def running_bot() -> AsyncIterator[AuctionTestBot]:
    bot = AuctionTestBot()
    await bot.login("emulator-token")
    task = asyncio.create_task(bot.connect(reconnect=True))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with DiscordEmulator() as emulator:
            point_discord_at(emulator.base_url)
            yield emulator
            # Every request discord.py made in the test must match Discord's OpenAPI spec.
            await emulator.flush_validation()
            assert emulator.spec_violations == []
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def bot(emu: DiscordEmulator) -> AsyncIterator[AuctionTestBot]:
    async with running_bot() as running:
        await running.tree.sync(guild=GUILD)
        yield running


def auctions(bot: AuctionTestBot) -> discord.TextChannel:
    channel = bot.get_channel(AUCTIONS_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_login_ready_and_guild_create(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    assert bot.application_id == APPLICATION_ID
    assert bot.user is not None
    assert bot.user.id == APPLICATION_ID
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None
    assert guild.me is not None
    assert guild.get_channel(AUCTIONS_CHANNEL_ID) is not None
    assert [c.name for c in guild.text_channels] == ["auctions", "general", "audit"]
    moderator = guild.get_member(MODERATOR_ID)
    assert moderator is not None
    assert moderator.guild_permissions.manage_guild
    assert guild.get_role(MODERATOR_ROLE_ID) in moderator.roles
    assert guild.get_member(EVERYONE_NAMED_ID).name == "@everyone"  # type: ignore[union-attr]
    assert len(await guild.chunk()) == len(guild.members) == 7  # op 8 answered
    assert [r.path for r in emu.requests("GET")][:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert len(emu.identifies) == 1
    assert emu.unknown_requests == []


async def test_tree_sync_reaches_emulator(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    synced = emu.commands(GUILD_ID)
    assert {c["name"] for c in synced} == {
        "ping",
        "echo",
        "whois",
        "slow",
        "think",
        "form",
        "pick",
        "auction",
    }
    assert emu.requests("PUT", f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    # A second sync keeps command ids stable, as Discord does.
    again = await bot.tree.sync(guild=GUILD)
    assert {c.id for c in again} == {int(c["id"]) for c in synced}


async def test_slash_command_is_answered(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    handle = await emu.send_interaction(emu.slash(ALICE_ID, "ping", {"note": "hello"}))
    reply = await handle.response(timeout=3)
    assert reply["type"] == 4
    assert reply["data"]["content"] == "pong hello"
    assert handle.latency is not None
    assert handle.latency < 3
    original = handle.original
    assert original is not None
    assert original.content == "pong hello"
    assert original.custom_ids() == ["auction:1:bid"]
    assert original.data["interaction_metadata"]["user"]["id"] == str(ALICE_ID)


async def test_options_subcommands_and_resolved_members(
    emu: DiscordEmulator, bot: AuctionTestBot
) -> None:
    started = await emu.send_interaction(
        emu.slash(MODERATOR_ID, "auction", {"item": "@cool", "price": 100}, subcommand="start")
    )
    assert (await started.response())["data"]["content"] == "start @cool 100"
    whois = await emu.send_interaction(
        emu.slash(MODERATOR_ID, "whois", {"who": Opt(USER, ALICE_ID)})
    )
    reply = await whois.response()
    assert reply["data"]["content"] == "alice mod=True roles=2"
    assert reply["data"]["flags"] == 64
    assert emu.channel_messages(AUCTIONS_CHANNEL_ID) == [started.original]  # ephemeral left out


async def test_button_click_is_answered(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    sent = await auctions(bot).send("Lot 1", view=BidView(bot.errors))
    stored = emu.message_by_id(sent.id)
    assert stored is not None
    handle = await emu.send_interaction(emu.click(BOB_ID, stored, "auction:1:bid"))
    reply = await handle.response(timeout=3)
    assert reply["type"] == 7
    assert stored.content == "Lot 1 | bid by bob"
    assert stored.edit_count == 1
    assert stored.history[0]["content"] == "Lot 1"
    assert bot.errors == []


async def test_autocomplete_and_modal(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    payload = emu.autocomplete(ALICE_ID, "pick", {"handle": "al"}, focused="handle")
    choices = (await (await emu.send_interaction(payload)).response())["data"]["choices"]
    assert [c["name"] for c in choices] == ["alpha", "alpine"]
    opened = await emu.send_interaction(emu.slash(ALICE_ID, "form"))
    modal = await opened.response()
    assert modal["type"] == 9
    assert modal["data"]["custom_id"] == "bid-modal"
    submitted = await emu.send_interaction(
        emu.modal_submit(ALICE_ID, "bid-modal", {"amount": "150"})
    )
    assert (await submitted.response())["data"]["content"] == "bid 150"


async def test_defer_followup_and_edit_original(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    handle = await emu.send_interaction(emu.slash(ALICE_ID, "think"))
    assert (await handle.response())["type"] == 5
    await emu.wait_for(lambda: handle.original and handle.original.content == "done, edited")
    assert handle.original is not None
    assert handle.original.edit_count == 2  # the follow-up replaced "thinking", then an edit
    assert handle.followups == []
    assert bot.errors == []


async def test_late_and_repeated_callbacks_are_refused(
    emu: DiscordEmulator, bot: AuctionTestBot
) -> None:
    emu.interaction_timeout = 0.1
    handle = await emu.send_interaction(emu.slash(ALICE_ID, "slow"))
    await emu.wait_for(lambda: bot.errors)
    assert handle.expired
    assert not handle.acknowledged
    assert isinstance(bot.errors[0], discord.NotFound)
    assert bot.errors[0].code == 10062

    emu.interaction_timeout = 3.0
    echo = await emu.send_interaction(emu.slash(ALICE_ID, "echo", {"text": "once"}))
    await echo.response()
    url = f"{emu.base_url}/api/v10/interactions/{echo.id}/{echo.token}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json={"type": 6}) as resp:
        assert resp.status == 400
        assert resp.headers["Content-Type"] == "application/json"
        assert (await resp.json())["code"] == 40060


async def test_a_redelivered_interaction_is_the_same_one_and_acknowledged_once(
    emu: DiscordEmulator, bot: AuctionTestBot
) -> None:
    # As Discord does to two sessions identified as the same shard: the same id and token,
    # and the second answer to it refused with 40060.
    handle = await emu.send_interaction(emu.slash(ALICE_ID, "echo", {"text": "twice"}))
    await handle.response()
    await emu.redeliver(handle)
    await emu.wait_for(lambda: bot.errors)
    assert isinstance(bot.errors[0], discord.HTTPException)
    assert bot.errors[0].status == 400 and bot.errors[0].code == 40060
    assert len(handle.attempts) == 2
    assert handle.callback == handle.attempts[0]
    assert emu.interactions == [handle]


async def test_injected_429_is_retried(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    emu.fail_next("POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages", status=429, retry_after=0.1)
    sent = await auctions(bot).send("after a 429")
    assert emu.message_by_id(sent.id) is not None
    assert len(emu.rate_limited()) == 1
    assert emu.unrecovered_rate_limits() == []

    # A route limit: 2 per second per channel, no headers, so the bot only learns from 429s.
    # (The window must hold three edits even on a slow machine, or none is refused.)
    emu.set_rate_limit(
        "PATCH",
        "/channels/{channel_id}/messages/{message_id}",
        limit=2,
        window=1.0,
        send_headers=False,
    )
    for n in range(4):
        await sent.edit(content=f"edit {n}")
    assert emu.message_by_id(sent.id).edit_count == 4  # type: ignore[union-attr]
    limited = len(emu.rate_limited())
    assert limited > 1
    assert emu.unrecovered_rate_limits() == []

    # With X-RateLimit-* headers discord.py waits for the window instead of hitting 429s.
    emu.set_rate_limit("POST", "/channels/{channel_id}/messages", limit=2, window=0.2)
    for n in range(3):
        await auctions(bot).send(f"paced {n}")
    assert len(emu.rate_limited()) == limited


async def test_error_injection_and_deleted_messages(
    emu: DiscordEmulator, bot: AuctionTestBot
) -> None:
    sent = await auctions(bot).send("Lot 2")
    emu.fail_next("PATCH", r"/channels/\d+/messages/\d+", status=400, code=30046)
    with pytest.raises(discord.HTTPException) as too_many_edits:
        await sent.edit(content="edited")
    assert too_many_edits.value.code == 30046
    await sent.edit(content="edited")
    emu.delete_message(sent.id)
    with pytest.raises(discord.NotFound) as gone:
        await sent.edit(content="again")
    assert gone.value.code == 10008


async def test_deleted_channels(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    general = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(general, discord.TextChannel)
    sent = await general.send("Lot 5")
    await emu.delete_channel(GENERAL_CHANNEL_ID)
    with pytest.raises(discord.NotFound) as edit_refused:
        await sent.edit(content="edited")
    assert edit_refused.value.code == 10003
    with pytest.raises(discord.NotFound) as send_refused:
        await general.send("Lot 6")
    assert send_refused.value.code == 10003
    await emu.wait_for(lambda: bot.get_channel(GENERAL_CHANNEL_ID) is None)  # CHANNEL_DELETE
    assert emu.channel_messages(GENERAL_CHANNEL_ID)[0].content == "Lot 5"  # kept for asserts


async def test_command_permissions_come_back_as_strings(
    emu: DiscordEmulator, bot: AuctionTestBot
) -> None:
    # discord.py sends default_member_permissions as a number; Discord answers with a string.
    restricted = app_commands.Command(
        name="restricted", description="Moderators only", callback=_restricted
    )
    restricted.default_permissions = discord.Permissions(manage_guild=True)
    bot.tree.add_command(restricted, guild=GUILD)
    synced = await bot.tree.sync(guild=GUILD)
    stored = {c["name"]: c["default_member_permissions"] for c in emu.commands(GUILD_ID)}
    assert stored["restricted"] == "32"
    assert stored["ping"] is None
    assert next(c for c in synced if c.name == "restricted").default_member_permissions == (
        discord.Permissions(manage_guild=True)
    )


async def _restricted(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("ok")


async def test_nonce_dedupe(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    first = await auctions(bot).send("Lot 3", nonce="lot-3")
    second = await auctions(bot).send("Lot 3", nonce="lot-3")
    assert first.id == second.id
    assert [m.content for m in emu.channel_messages(AUCTIONS_CHANNEL_ID)] == ["Lot 3"]


async def test_direct_messages(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    alice = await bot.fetch_user(ALICE_ID)
    await alice.send("you won")
    assert [m.content for m in emu.dm_messages(ALICE_ID)] == ["you won"]
    emu.set_dms_open(BOB_ID, False)
    bob = await bot.fetch_user(BOB_ID)
    with pytest.raises(discord.Forbidden) as closed:
        await bob.send("you were outbid")
    assert closed.value.code == 50007

    await bot.tree.sync()  # "hello" is global
    dm = emu.dm_channel_id(ALICE_ID)
    handle = await emu.send_interaction(emu.slash(ALICE_ID, "hello", channel_id=dm))
    assert (await handle.response())["data"]["content"] == "hello alice in DM"
    assert [m.content for m in emu.dm_messages(ALICE_ID)] == ["you won", "hello alice in DM"]


async def test_mentions_follow_allowed_mentions(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    pinged = await auctions(bot).send(f"<@{ALICE_ID}> @everyone")
    quiet = await auctions(bot).send(
        f"<@{ALICE_ID}> @everyone", allowed_mentions=discord.AllowedMentions.none()
    )
    loud = emu.message_by_id(pinged.id)
    silent = emu.message_by_id(quiet.id)
    assert loud is not None
    assert silent is not None
    assert loud.data["mention_everyone"]
    assert [u["id"] for u in loud.data["mentions"]] == [str(ALICE_ID)]
    assert not silent.data["mention_everyone"]
    assert silent.data["mentions"] == []


async def test_burst_of_interactions_is_answered_in_time(
    emu: DiscordEmulator, bot: AuctionTestBot
) -> None:
    # The bot answering here shares this process (and the CPU) with the emulator, so how soon
    # the last of 200 answers comes back measures the machine (up to 1.7 s on a loaded one),
    # hence a generous deadline. What is checked: each of 200 interactions in flight at once
    # gets its own answer, accepted, none expired. Discord's 3 s is checked for one
    # interaction above, and for the real bot, in its own process, in test_burst_e2e.
    emu.interaction_timeout = 30.0
    handles = [
        await emu.send_interaction(emu.slash(ALICE_ID, "echo", {"text": f"b{n}"}))
        for n in range(200)
    ]
    replies = await asyncio.gather(*(h.response(timeout=30) for h in handles))
    assert [r["data"]["content"] for r in replies] == [f"b{n}" for n in range(200)]
    assert max(h.latency or 0 for h in handles) < emu.interaction_timeout
    assert all(h.acknowledged for h in handles)
    assert not any(h.expired for h in handles)


async def test_restart_keeps_state_and_persistent_buttons(emu: DiscordEmulator) -> None:
    async with running_bot() as first:
        sent = await auctions(first).send("Lot 4", view=BidView(first.errors))
    async with running_bot() as second:
        assert len(emu.identifies) == 2
        handle = await emu.send_interaction(emu.click(ALICE_ID, sent.id, "auction:1:bid"))
        assert (await handle.response())["type"] == 7
        assert emu.message_by_id(sent.id).content == "Lot 4 | bid by alice"  # type: ignore[union-attr]
        assert second.errors == []


async def test_unknown_routes_are_recorded(emu: DiscordEmulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emu.base_url}/api/v10/guilds/1/bans") as resp,
    ):
        assert resp.status == 404
        assert resp.headers["Content-Type"] == "application/json"
    assert [r.path for r in emu.unknown_requests] == ["/guilds/1/bans"]


async def test_spec_validation(emu: DiscordEmulator, bot: AuctionTestBot) -> None:
    assert emu.spec_validation_enabled
    await auctions(bot).send("valid")
    await (await bot.fetch_user(ALICE_ID)).send("valid DM")  # recipient_id as int: ignored
    await (await emu.send_interaction(emu.slash(ALICE_ID, "ping"))).response()
    await emu.flush_validation()
    assert emu.spec_violations == []
    url = f"{emu.base_url}/api/v10/channels/{AUCTIONS_CHANNEL_ID}/messages"
    async with aiohttp.ClientSession() as session, session.post(url, json={"content": 5}) as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == 50035
    await emu.flush_validation()
    assert [v.path for v in emu.spec_violations] == [f"/channels/{AUCTIONS_CHANNEL_ID}/messages"]
    emu.spec_violations.clear()


def test_a_missing_spec_stops_the_emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCORD_OPENAPI_SPEC", str(tmp_path / "openapi.json"))
    with pytest.raises(RuntimeError, match=r"OpenAPI spec is missing: DISCORD_OPENAPI_SPEC names"):
        DiscordEmulator()


def test_missing_openapi_core_stops_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openapi_core", None)  # makes the import fail
    with pytest.raises(RuntimeError, match=r"openapi-core is not installed"):
        load_openapi.__wrapped__(str(VENDORED_SPEC))
