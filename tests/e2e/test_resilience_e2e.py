"""The bot keeps going when Discord refuses something: a command sync, a post edit, the
first send of a post."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import BotProcess, auction_post, bid, fields, start_auction
from tests.e2e.discord_emulator import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    BOB_ID,
    GUILD_ID,
    DiscordEmulator,
)

pytestmark = pytest.mark.e2e

GUILD_COMMANDS = rf"/applications/\d+/guilds/{GUILD_ID}/commands"


async def test_a_refused_command_sync_does_not_stop_the_bot(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator.fail_next("PUT", GUILD_COMMANDS, status=403, code=50001, message="Missing Access")
    bot = BotProcess(emulator, tmp_path)
    await bot.start()
    try:
        assert "command sync to guild" in bot.log()
        assert "refused (403 50001)" in bot.log()
        assert "started" in await start_auction(emulator, "@stillhere", duration="1h")
        assert "You lead" in await bid(emulator, ALICE_ID, "stillhere", 150)
    finally:
        assert await bot.stop() == 0
    # Nothing was remembered for the refused scope, so the next start syncs again.
    puts = len(emulator.requests("PUT", GUILD_COMMANDS))
    await bot.start()
    await bot.stop()
    assert len(emulator.requests("PUT", GUILD_COMMANDS)) == puts + 1


async def test_sync_command_reports_a_refusal_in_one_line(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator.fail_next("PUT", GUILD_COMMANDS, status=403, code=50001, message="Missing Access")
    code, output = await BotProcess(emulator, tmp_path).run("sync")
    assert code == 1
    assert "error: Discord refused the command sync for guild:" in output
    assert "Traceback" not in output


async def test_a_failed_post_edit_is_tried_again_until_the_post_is_current(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    bot = await bots()
    await start_auction(emulator, "@retryedit", starting_bid=100, duration="1h")
    post = await auction_post(emulator, "retryedit")
    emulator.fail_next(
        "PATCH", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages/{post.id}", status=400, code=50035
    )
    await bid(emulator, ALICE_ID, "retryedit", 150)
    await emulator.wait_for(lambda: "150" in fields(post).get("Current price", ""), 20)
    assert "trying again" in bot.log()


async def test_bids_made_while_the_post_is_on_its_way_show_up(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # The first send of the post is held back (429, retried by discord.py after 1.5 s).
    emulator.fail_next(
        "POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages", status=429, retry_after=1.5
    )
    await start_auction(emulator, "@slowpost", starting_bid=100, duration="1h")
    await bid(emulator, ALICE_ID, "slowpost", 150)
    await bid(emulator, BOB_ID, "slowpost", 300)
    post = await auction_post(emulator, "slowpost")
    await emulator.wait_for(lambda: "300" in fields(post).get("Current price", ""), 20)
    assert re.search(rf"<@!?{BOB_ID}>", fields(post)["Leader"])
