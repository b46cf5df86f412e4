"""A hard kill mid-auction, and deliberate command sync across restarts (scenarios 8, 10)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.sandbox import (
    ALICE_ID,
    APPLICATION_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    DiscordEmulator,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    bid,
    button_id,
    channel_texts,
    fields,
    info,
    is_closed_post,
    on_both_stores,
    start_auction,
    timestamp,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

COMMAND_PUTS = rf"/applications/{APPLICATION_ID}/(guilds/\d+/)?commands$"


@on_both_stores
async def test_a_killed_bot_keeps_every_bid_and_closes_overdue_auctions_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@survivor", starting_bid=100)
    survivor = await auction_post(emulator, "@survivor")
    # Its audit copy waits for discord.py to be ready, holding up the outbox for about 2 s
    # after a start; past it, the 4 s auction below is posted, bid on and the bot killed
    # well before its end.
    await emulator.wait_for(lambda: emulator.channel_messages(AUDIT_CHANNEL_ID), 20)
    started = await start_auction(emulator, "@overdue", starting_bid=100, duration="4s")
    overdue_end = timestamp(started)

    # Acknowledged bids: a proxy bid and the automatic answer to a challenger.
    await bid(emulator, ALICE_ID, "survivor", 100, maximum=300)
    assert "automatic bid answered" in await bid(emulator, BOB_ID, "survivor", 150)
    placed = await bid(emulator, ALICE_ID, "overdue", 100)
    if "Anti-sniping moved the end" in placed:  # a bid this late moves the end: wait for that
        overdue_end = timestamp(placed)
    overdue = await auction_post(emulator, "@overdue")
    await bot.kill()  # SIGKILL: no shutdown code runs

    # The overdue auction ends while the bot is down.
    while time.time() < overdue_end + 1:
        await asyncio.sleep(0.1)
    prefix = "**Auction closed: @overdue.**"
    assert channel_texts(emulator, prefix) == []

    await bot.start()
    announced = await emulator.wait_for(lambda: channel_texts(emulator, prefix), 20)
    assert announced[0].content == f"{prefix} Sold to <@{ALICE_ID}> for **100 credits**."
    await emulator.wait_for(lambda: is_closed_post(overdue), 20)
    await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 20)  # the winner's DM

    # Every acknowledged bid is still there.
    state = await info(emulator, "survivor")
    assert "Current price: 160 credits" in state, state
    assert f"Leader: <@{ALICE_ID}>" in state
    assert "Bids: 2" in state

    # The old post's buttons still work (DynamicItem): the post was brought up to date at
    # start-up, and a click on it bids.
    await emulator.wait_for(lambda: "quick:170" in button_id(survivor, "quick"), 20)
    clicked = await answered(
        emulator, emulator.click(CAROL_ID, survivor, button_id(survivor, "quick"))
    )
    assert "automatic bid answered at once: the price is now 180 credits" in clicked, clicked
    details = await answered(
        emulator, emulator.click(CAROL_ID, survivor, button_id(survivor, ":info"))
    )
    assert "Bids: 3" in details, details
    await emulator.wait_for(lambda: fields(survivor)["Current price"] == "180 credits", 20)

    # Exactly once, even across another restart.
    await bot.stop()
    await bot.start()
    await start_auction(emulator, "@later")
    await auction_post(emulator, "@later")
    assert len(channel_texts(emulator, prefix)) == 1
    assert len(emulator.dm_messages(ALICE_ID)) == 1
    assert "Bids: 3" in await info(emulator, "survivor")


async def test_commands_are_synced_only_when_they_changed_or_when_asked(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    def puts() -> list[str]:
        return [r.path for r in emulator.requests("PUT", COMMAND_PUTS) if r.status == 200]

    guild_scope = f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands"
    assert puts() == [guild_scope]  # the first start syncs, to the configured guild only
    commands = {c["name"]: c["id"] for c in emulator.commands(GUILD_ID)}
    assert set(commands) == {
        "auction",
        "auctioneer",
        "bid",
        "outbid-alerts",
        "settings",
        "inventory",
        "handles",
        "wallet",
    }
    synced = {c["name"]: c for c in emulator.commands(GUILD_ID)}
    # Discord shows the moderator groups only to members with Manage Server (until an admin
    # grants them to a role); the rest carry no default permissions.
    assert {name: c["default_member_permissions"] for name, c in synced.items()} == {
        "auction": None,
        "auctioneer": "32",
        "bid": None,
        "outbid-alerts": None,
        "settings": "32",
        "inventory": "32",
        "handles": None,
        "wallet": None,
    }
    assert str(MANAGE_GUILD) == "32"
    assert {o["name"] for o in synced["auction"]["options"]} == {"info", "list"}
    assert {o["name"] for o in synced["auctioneer"]["options"]} == {
        "start", "cancel", "end", "extend", "void-bid", "release", "drop", "drops",
        "drop-cancel", "paid", "unbar", "report", "credit", "debit",
    }  # fmt: skip

    # A second start with the same commands does not sync again.
    assert await bot.stop() == 0
    await bot.start()
    assert puts() == [guild_scope]
    assert await bid(emulator, ALICE_ID, "nothing", 100)  # the commands still work

    # `sync` forces one and exits 0, even with the bot running.
    code, output = await bot.run("sync")
    assert code == 0, output
    assert "Traceback" not in output
    assert puts() == [guild_scope, guild_scope]
    assert {c["name"]: c["id"] for c in emulator.commands(GUILD_ID)} == commands

    # So does `--sync` at start-up.
    assert await bot.stop() == 0
    await bot.start("--sync")
    assert puts() == [guild_scope] * 3


async def test_sync_only_syncs(emulator: DiscordEmulator, bot: BotProcess) -> None:
    """`sync` registers the commands and leaves: it does not deliver what the bot owes."""
    emulator.fail_next("POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages", status=503)
    await start_auction(emulator, "@pending")
    await emulator.wait_for(
        lambda: emulator.requests("POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages$"), 20
    )
    await bot.kill()  # the post's delivery failed once and is due again in a second
    await asyncio.sleep(1.5)

    code, output = await bot.run("sync")
    assert code == 0, output
    posts = emulator.requests("POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages$")
    assert [r.status for r in posts] == [503]

    await bot.start()
    await auction_post(emulator, "@pending")
    posts = emulator.requests("POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages$")
    assert [r.status for r in posts] == [503, 200]
