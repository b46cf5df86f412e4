"""Sharding end to end: the real bot (``python -m bot``) run as some of the shards of a bot
serves exactly the servers on those shards, and says which shard and process answered.

The world: the default server, on shard 0 of 2, and a second server on shard 1 of 2."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.sandbox import (
    ALICE_ID,
    CAROL_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    DiscordEmulator,
    InteractionHandle,
    default_world,
    guild_on_shard,
    shard_of,
)
from tests.e2e.conftest import BotProcess, answered, checked_emulator, respond

pytestmark = pytest.mark.e2e

SHARD1 = guild_on_shard(1, 2)
SHARD1_GENERAL = SHARD1.channels[1].id
SHARD1_MODERATOR_ROLE = SHARD1.roles[0].id
# Config knobs for a bot of both servers: commands synced to each, each one's moderators.
BOTH = {
    "guild": f"{GUILD_ID}, {SHARD1.id}",
    "moderator_role": f"{MODERATOR_ROLE_ID}, {SHARD1_MODERATOR_ROLE}",
}


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    """This module's world (overrides conftest's): one server on each shard of 2."""
    assert shard_of(GUILD_ID, 2) == 0 and shard_of(SHARD1.id, 2) == 1
    async with checked_emulator([*default_world(), SHARD1]) as emu:
        yield emu


async def ready(emulator: DiscordEmulator, bot: BotProcess) -> None:
    """Every shard of the bot is connected: discord.py logs in once all of them are."""
    await emulator.wait_for(lambda: "logged in as" in bot.log(), 30)


async def start_in(emulator: DiscordEmulator, channel_id: int, handle: str) -> str:
    """``/auctioneer start`` by the moderator in ``channel_id`` (the post goes there unless
    the server has an auction channel)."""
    options = {"handle": handle, "starting_bid": 100, "duration": "1h"}
    payload = emulator.slash(MODERATOR_ID, "auctioneer", options, "start", channel_id=channel_id)
    return await answered(emulator, payload)


async def info_in(emulator: DiscordEmulator, channel_id: int, handle: str) -> InteractionHandle:
    payload = emulator.slash(CAROL_ID, "auction", {"handle": handle}, "info", channel_id=channel_id)
    handle_ = await respond(emulator, payload)
    await emulator.wait_for(lambda: footer(handle_), 20)
    return handle_


def footer(handle: InteractionHandle) -> str:
    """The footer of the answer's embed ('' while there is none)."""
    messages = [m for m in [handle.original, *handle.followups] if m is not None]
    for message in messages:
        for embed in message.data.get("embeds", []):
            text: str = (embed.get("footer") or {}).get("text", "")
            if text:
                return text
    return ""


def process_of(bot: BotProcess) -> str:
    assert bot.process is not None
    return f"{socket.gethostname()}:{bot.process.pid}"


async def test_one_process_running_both_shards_serves_both_servers(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    bot = await bots(shard_count=2, shard_ids=[0, 1], **BOTH)
    await ready(emulator, bot)
    assert emulator.connected_shards == [(0, 2), (1, 2)]
    assert [i["shard"] for i in emulator.identifies] == [[0, 2], [1, 2]]
    assert f"starting shards 0,1 of 2, process {process_of(bot)}" in bot.log()

    assert "started at 100 credits" in await start_in(emulator, GENERAL_CHANNEL_ID, "zeroshard")
    assert "started at 100 credits" in await start_in(emulator, SHARD1_GENERAL, "oneshard")
    in_zero = await info_in(emulator, GENERAL_CHANNEL_ID, "zeroshard")
    in_one = await info_in(emulator, SHARD1_GENERAL, "oneshard")
    assert f"Served by shard 0 of 2, process {process_of(bot)}" in footer(in_zero)
    assert f"Served by shard 1 of 2, process {process_of(bot)}" in footer(in_one)
    # Each server has its own auctions, whichever shard it is on.
    assert "oneshard" not in await answered(
        emulator, emulator.slash(ALICE_ID, "auction", None, "list", channel_id=GENERAL_CHANNEL_ID)
    )


async def test_a_process_running_shard_1_never_hears_from_shard_0s_server(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    # The command line overrides the file's shards.
    bot = await bots(
        shard_count=4, shard_ids=[3], args=("--shard-count", "2", "--shard-ids", "1"), **BOTH
    )
    await ready(emulator, bot)
    assert emulator.connected_shards == [(1, 2)]
    assert [i["shard"] for i in emulator.identifies] == [[1, 2]]
    assert f"starting shards 1 of 2, process {process_of(bot)}" in bot.log()
    assert "in 1 server(s)" in bot.log()

    # Discord routes shard 0's server to shard 0's sessions: there are none.
    with pytest.raises(RuntimeError, match="for this interaction's shard"):
        await emulator.send_interaction(
            emulator.slash(CAROL_ID, "auction", None, "list", channel_id=GENERAL_CHANNEL_ID)
        )
    assert "started at 100 credits" in await start_in(emulator, SHARD1_GENERAL, "oneshard")
    in_one = await info_in(emulator, SHARD1_GENERAL, "oneshard")
    assert f"Served by shard 1 of 2, process {process_of(bot)}" in footer(in_one)
    # Only the server it serves was ever asked about.
    guilds = {h.payload.get("guild_id") for h in emulator.interactions}
    assert guilds == {str(GUILD_ID), str(SHARD1.id)}
    answered_guilds = {h.payload.get("guild_id") for h in emulator.interactions if h.callback}
    assert answered_guilds == {str(SHARD1.id)}


async def test_without_shard_settings_the_bot_is_the_one_shard_of_one(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await ready(emulator, bot)
    assert [i["shard"] for i in emulator.identifies] == [[0, 1]]
    assert emulator.connected_shards == [(0, 1)]
    assert not emulator.requests("GET", "/gateway/bot")  # nothing asked Discord for a count
    assert "started at 100 credits" in await start_in(emulator, GENERAL_CHANNEL_ID, "single")
    in_zero = await info_in(emulator, GENERAL_CHANNEL_ID, "single")
    assert footer(in_zero).endswith(f"Served by shard 0 of 1, process {process_of(bot)}")
