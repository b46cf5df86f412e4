"""The bot keeps going when Discord refuses something: a command sync, a post edit, the
first send of a post. What an outage caused is tried again; what Discord refuses is not."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    BOB_ID,
    GUILD_ID,
    DiscordEmulator,
    RecordedRequest,
)
from tests.e2e.conftest import (
    BotProcess,
    auction_post,
    bid,
    fields,
    is_closed_post,
    start_auction,
)

pytestmark = pytest.mark.e2e

GUILD_COMMANDS = rf"/applications/\d+/guilds/{GUILD_ID}/commands"
CHANNEL_POSTS = rf"/channels/{AUCTIONS_CHANNEL_ID}/messages"


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
    # An outage (a 5xx) is worth trying again; discord.py itself does not retry a 503.
    bot = await bots()
    await start_auction(emulator, "@retryedit", starting_bid=100, duration="1h")
    post = await auction_post(emulator, "retryedit")
    emulator.fail_next("PATCH", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages/{post.id}", status=503)
    await bid(emulator, ALICE_ID, "retryedit", 150)
    await emulator.wait_for(lambda: "150" in fields(post).get("Current price", ""), 20)
    assert "trying again" in bot.log()
    statuses = [r.status for r in emulator.requests("PATCH", rf"{CHANNEL_POSTS}/{post.id}$")]
    assert 503 in statuses and statuses[-1] == 200, statuses


async def test_a_post_edit_discord_refuses_is_not_repeated_until_the_next_change(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    # A refusal (400, 50035) would be refused again: the bot logs it and waits for the next
    # change to the auction (here: its close) instead of trying the same edit again.
    bot = await bots()
    await start_auction(emulator, "@refused", starting_bid=100, duration="8s")
    post = await auction_post(emulator, "refused")
    await bid(emulator, ALICE_ID, "refused", 150)
    await emulator.wait_for(lambda: fields(post).get("Current price") == "150 credits", 5)

    def edits() -> list[RecordedRequest]:
        return emulator.requests("PATCH", rf"{CHANNEL_POSTS}/{post.id}$")

    emulator.fail_next("PATCH", rf"{CHANNEL_POSTS}/{post.id}", status=400, code=50035)
    await bid(emulator, BOB_ID, "refused", 200)
    [refused] = await emulator.wait_for(lambda: [r for r in edits() if r.status == 400], 5)
    assert "200 credits" in str(refused.json)  # the bid's edit was the one refused
    await emulator.wait_for(lambda: "not retrying" in bot.log(), 5)
    assert "can't be updated (400 50035" in bot.log()

    # The next edit is the closed post: the refused open one was never sent again.
    await emulator.wait_for(lambda: is_closed_post(post), 15)
    after = edits()[edits().index(refused) + 1 :]
    assert after, "the post was not edited after the refusal"
    assert all("auction closed" in r.json["embeds"][0]["title"] for r in after), after
    assert all(r.status == 200 for r in after), after
    assert not any(
        "is up for auction" in v["embeds"][0]["title"] and "200 credits" in str(v["embeds"])
        for v in [*post.history, post.data]
    )
    assert fields(post)["Current price"] == "200 credits"
    assert fields(post)["Leader"] == f"<@{BOB_ID}>"
    assert "trying again" not in bot.log()


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


async def test_a_transient_failure_is_retried_whatever_max_attempts_says(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    # [outbox].max_attempts no longer counts: an outage is sat out for up to give_up_after.
    bot = await bots(outbox="max_attempts = 1")
    assert "[outbox].max_attempts no longer counts" in bot.log()
    emulator.fail_next("POST", f"{CHANNEL_POSTS}", times=2, status=503)
    await start_auction(emulator, "@patient", starting_bid=100, duration="1h")

    def posts() -> list[int]:
        return [r.status for r in emulator.requests("POST", f"{CHANNEL_POSTS}$")]

    await emulator.wait_for(lambda: 200 in posts(), 10)
    assert posts() == [503, 503, 200]
    assert "failed (attempt 2), retrying" in bot.log()
    post = await auction_post(emulator, "patient")
    assert fields(post)["Current price"] == "no bids yet"
