"""Scheduled drops and falling-price relists end to end: inventory handles go up for auction
at their time (also when that time passed while the bot was down), each exactly once; a
cancelled drop gives its handles back; an unsold handle is listed again, cheaper."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from bot.sandbox import (
    AUCTIONS_CHANNEL_ID,
    MODERATOR_ID,
    OWNER_ID,
    DiscordEmulator,
    StoredMessage,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    channel_texts,
    embed,
    fields,
    is_closed_post,
    start_auction,
    timestamp,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

WAIT = 30.0  # seconds: generous, every wait ends as soon as its condition holds


async def text(
    emulator: DiscordEmulator,
    user_id: int,
    name: str,
    options: dict[str, Any] | None = None,
    subcommand: str | None = None,
) -> str:
    return await answered(emulator, emulator.slash(user_id, name, options, subcommand))


async def stock(emulator: DiscordEmulator, *rows: str) -> None:
    """Import ``handle,starting_bid`` rows; all of them must be added."""
    content = ("handle,starting_bid\n" + "\n".join(rows) + "\n").encode()
    upload = emulator.upload("stock.csv", content)
    reply = await text(emulator, MODERATOR_ID, "inventory", {"file": upload}, "import")
    assert reply.startswith(f"Imported **{len(rows)}** handle(s); **0** refused."), reply


async def drop(emulator: DiscordEmulator, **options: Any) -> str:
    return await text(emulator, MODERATOR_ID, "auctioneer", options, "drop")


def drop_id(reply: str) -> int:
    found = re.match(r"Drop #(\d+): ", reply)
    assert found, reply
    return int(found.group(1))


def posts_of(emulator: DiscordEmulator, handle: str) -> list[StoredMessage]:
    """The channel messages that are (or were) an auction post for ``handle``."""
    return [
        m
        for m in emulator.channel_messages(AUCTIONS_CHANNEL_ID)
        for e in m.data.get("embeds", [])[:1]
        if e.get("title", "").startswith(f"{handle} ")
    ]


def post_requests(emulator: DiscordEmulator, handle: str) -> int:
    """How many times the bot asked to post a new message titled for ``handle``."""
    return sum(
        1
        for r in emulator.requests("POST", rf"/channels/{AUCTIONS_CHANNEL_ID}/messages$")
        if r.status == 200
        and r.json is not None
        and any(e.get("title", "").startswith(f"{handle} ") for e in r.json.get("embeds") or [])
    )


async def settle(emulator: DiscordEmulator, handle: str) -> None:
    """A later auction's post is out: everything queued before it has been delivered."""
    await start_auction(emulator, handle)
    await auction_post(emulator, handle, AUCTIONS_CHANNEL_ID)


async def test_a_drop_posts_its_schedule_then_each_auction_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await stock(emulator, "dropone,300", "droptwo,200")
    before = time.time()
    reply = await drop(emulator, start="in 2s", count=2, interval="1s", duration="1m")
    number = drop_id(reply)
    assert reply.startswith(f"Drop #{number}: 2 auction(s) from <t:"), reply
    first = timestamp(reply, "f")
    assert before + 1 <= first <= time.time() + 3
    assert timestamp(reply, "R") == first
    lines = reply.split("\n")[1:]
    assert len(lines) == 2, reply
    assert re.fullmatch(r"<t:\d+:t> @dropone from 300 credits", lines[0]), lines
    assert re.fullmatch(r"<t:\d+:t> @droptwo from 200 credits", lines[1]), lines
    assert timestamp(lines[1], "t") == timestamp(lines[0], "t") + 1

    prefix = f"**Drop #{number}: 2 handle(s) go up for auction from <t:"
    [announced] = await emulator.wait_for(lambda: channel_texts(emulator, prefix), WAIT)
    assert "@dropone from 300 credits" in announced.content
    assert "@droptwo from 200 credits" in announced.content

    one = await emulator.wait_for(lambda: posts_of(emulator, "@dropone"), WAIT)
    two = await emulator.wait_for(lambda: posts_of(emulator, "@droptwo"), WAIT)
    assert embed(one[0])["title"] == "@dropone is up for auction"
    assert fields(one[0])["Minimum next bid"] == "300 credits"
    assert fields(two[0])["Minimum next bid"] == "200 credits"
    listed = await text(emulator, MODERATOR_ID, "inventory", {"status": "in_auction"}, "list")
    assert "@dropone" in listed and "@droptwo" in listed, listed

    await settle(emulator, "@afterdrop")
    assert len(posts_of(emulator, "@dropone")) == 1
    assert len(posts_of(emulator, "@droptwo")) == 1
    assert post_requests(emulator, "@dropone") == 1
    assert post_requests(emulator, "@droptwo") == 1
    assert len(channel_texts(emulator, prefix)) == 1
    assert "No drops are scheduled." in await text(
        emulator, MODERATOR_ID, "auctioneer", None, "drops"
    )


async def test_drops_lists_an_upcoming_drop_and_cancel_returns_its_handles(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await stock(emulator, "laterone,300", "latertwo,200")
    reply = await drop(emulator, start="in 2h", count=2, interval="10m", duration="1h")
    number = drop_id(reply)
    listed = await text(emulator, MODERATOR_ID, "inventory", {"status": "scheduled"}, "list")
    assert "@laterone" in listed and "@latertwo" in listed, listed

    upcoming = await text(emulator, MODERATOR_ID, "auctioneer", None, "drops")
    assert f"Drop #{number}: 2 to start, next <t:" in upcoming, upcoming
    assert "@laterone, @latertwo" in upcoming, upcoming

    cancelled = await text(emulator, MODERATOR_ID, "auctioneer", {"drop": number}, "drop-cancel")
    assert cancelled == f"Drop #{number} cancelled: 2 handle(s) are back in the inventory."
    available = await text(emulator, MODERATOR_ID, "inventory", {"status": "available"}, "list")
    assert "@laterone" in available and "@latertwo" in available, available
    assert "available" in available
    assert "No drops are scheduled." in await text(
        emulator, MODERATOR_ID, "auctioneer", None, "drops"
    )
    again = await text(emulator, MODERATOR_ID, "auctioneer", {"drop": number}, "drop-cancel")
    assert "already cancelled" in again, again

    # The handles can go into a new drop; nothing of the cancelled one was ever posted.
    await settle(emulator, "@afterwards")
    assert posts_of(emulator, "@laterone") == [] and posts_of(emulator, "@latertwo") == []
    assert channel_texts(emulator, f"**Drop #{number}:") == []


async def test_a_drop_due_while_the_bot_was_down_starts_once_at_start_up(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await stock(emulator, "whiledown,400")
    reply = await drop(emulator, start="in 6s", count=1, duration="1m")
    first = timestamp(reply, "f")
    prefix = f"**Drop #{drop_id(reply)}: 1 handle(s) go up for auction"
    await emulator.wait_for(lambda: channel_texts(emulator, prefix), WAIT)  # announced now
    await bot.stop()
    assert time.time() < first, "the bot took too long to stop: the drop was due before it did"
    assert posts_of(emulator, "@whiledown") == []

    while time.time() < first + 1.5:  # the start passes while the bot is down
        await asyncio.sleep(0.1)
    assert posts_of(emulator, "@whiledown") == []

    await bot.start()
    post = await auction_post(emulator, "@whiledown")
    assert fields(post)["Minimum next bid"] == "400 credits"
    # It runs its full minute from when it actually started.
    assert timestamp(fields(post)["Ends"], "R") >= first + 1.5 + 60 - 2

    await settle(emulator, "@afterrestart")
    await bot.stop()
    await bot.start()
    await settle(emulator, "@aftersecond")
    assert len(posts_of(emulator, "@whiledown")) == 1
    assert post_requests(emulator, "@whiledown") == 1
    assert len(channel_texts(emulator, prefix)) == 1


async def test_an_unsold_inventory_handle_is_relisted_cheaper(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    for key, value in (("relist.enabled", "on"), ("relist.wait", "1s")):
        changed = await text(emulator, OWNER_ID, "settings", {"key": key, "value": value}, "set")
        assert f"**{key}**" in changed, changed
    await stock(emulator, "relistme,100")
    started = await text(
        emulator, MODERATOR_ID, "auctioneer", {"handle": "relistme", "duration": "3s"}, "start"
    )
    assert "started at 100 credits" in started, started
    original = await auction_post(emulator, "@relistme")
    assert "description" not in embed(original)  # a first listing says nothing of relists

    closed = "**Auction closed: @relistme.**"
    await emulator.wait_for(lambda: channel_texts(emulator, closed), WAIT)
    await emulator.wait_for(lambda: is_closed_post(original), WAIT)

    def relisted() -> StoredMessage | None:
        return next(
            (
                m
                for m in posts_of(emulator, "@relistme")
                if m.id != original.id and "is up for auction" in embed(m).get("title", "")
            ),
            None,
        )

    again: StoredMessage = await emulator.wait_for(relisted, WAIT)
    assert embed(again)["title"] == "@relistme is up for auction"
    assert embed(again)["description"] == (
        "Relisted for the 1st time; starting bid lowered from 100 credits to 90 credits."
    )
    assert fields(again)["Minimum next bid"] == "90 credits"
    details = await text(emulator, MODERATOR_ID, "inventory", {"handle": "relistme"}, "show")
    assert "Status: in auction" in details and "Relists: 1" in details, details


async def test_a_drop_with_interval_0s_starts_everything_at_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await stock(emulator, "atonce1,100", "atonce2,100")
    reply = await drop(emulator, start="now", count=2, interval="0s", duration="1m")
    assert reply.startswith(f"Drop #{drop_id(reply)}: 2 auction(s)"), reply
    await auction_post(emulator, "@atonce1")
    await auction_post(emulator, "@atonce2")


async def test_relist_wait_can_be_zero(emulator: DiscordEmulator, bot: BotProcess) -> None:
    changed = await text(
        emulator, OWNER_ID, "settings", {"key": "relist.wait", "value": "0s"}, "set"
    )
    assert "**relist.wait** changed" in changed, changed
