"""Each interaction takes effect once: Discord delivers an interaction to every session
identified as its shard, so two bot processes would both receive it. Two processes cannot
share a SQLite file, so here one process receives the same INTERACTION_CREATE (same id and
token) twice, which takes the same path: the copy finds the interaction's key taken, changes
nothing, and sends nothing, neither a second answer nor an error."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.sandbox import ALICE_ID, MODERATOR_ID, DiscordEmulator, InteractionHandle
from tests.e2e.conftest import (
    BotProcess,
    auction_post,
    button_id,
    reply_text,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]


def query(bot: BotProcess, sql: str) -> list[tuple[object, ...]]:
    # Read-only, beside the running bot (WAL lets a reader in while it writes).
    conn = sqlite3.connect(f"file:{Path(bot.workdir, 'auctions.db')}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def delivered_twice(
    emulator: DiscordEmulator, payload: dict[str, object], *, together: bool
) -> InteractionHandle:
    """Send an interaction and deliver it again: at once (both copies handled side by side),
    or once the first was answered. Returns when both had time to answer."""
    handle = await emulator.send_interaction(payload)
    if not together:
        await handle.response(timeout=3)
        await emulator.wait_for(lambda: reply_text(handle).strip(), 20)
    await emulator.redeliver(handle)
    await handle.response(timeout=3)
    await emulator.wait_for(lambda: reply_text(handle).strip(), 20)
    await asyncio.sleep(1.0)  # room for a second answer or an error, if one were coming
    return handle


def answered_once(handle: InteractionHandle) -> str:
    """One callback reached Discord (none refused with 40060) and nothing followed it but
    the follow-up of a defer; the text shown."""
    assert len(handle.attempts) == 1, handle.attempts
    assert len(handle.followups) == 0, [m.data for m in handle.followups]
    shown = reply_text(handle)
    assert "something went wrong" not in shown.lower(), shown
    return shown


@pytest.mark.parametrize("together", [False, True], ids=["after", "together"])
async def test_a_bid_delivered_twice_is_stored_and_answered_once(
    emulator: DiscordEmulator, bot: BotProcess, together: bool
) -> None:
    await start_auction(emulator, "@once", starting_bid=100)
    # With a secret maximum, a second copy applied would be no refusal: it would raise the
    # proxy bid or store another.
    payload = emulator.slash(ALICE_ID, "bid", {"handle": "once", "amount": 100, "max": 500})
    handle = await delivered_twice(emulator, payload, together=together)
    assert answered_once(handle).startswith("You lead @once at **100 credits**"), reply_text(handle)
    assert query(bot, "SELECT bidder_id, amount FROM bids") == [(ALICE_ID, 100)]
    assert query(bot, f"SELECT seq FROM interaction_writes WHERE interaction_id = {handle.id}") == [
        (1,)
    ]


@pytest.mark.parametrize("together", [False, True], ids=["after", "together"])
async def test_an_extend_delivered_twice_moves_the_end_once(
    emulator: DiscordEmulator, bot: BotProcess, together: bool
) -> None:
    await start_auction(emulator, "@longer", duration="1h")
    [(before,)] = query(bot, "SELECT ends_at FROM auctions")
    payload = emulator.slash(
        MODERATOR_ID, "auctioneer", {"handle": "longer", "duration": "30m"}, "extend"
    )
    handle = await delivered_twice(emulator, payload, together=together)
    assert "extended by 30m" in answered_once(handle), reply_text(handle)
    [(after,)] = query(bot, "SELECT ends_at FROM auctions")
    assert after - before == 30 * 60 * 1_000_000
    assert query(bot, "SELECT COUNT(*) FROM audit_log WHERE action = 'extend'") == [(1,)]


async def test_a_quick_bid_click_delivered_twice_bids_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@clicked", starting_bid=100)
    post = await auction_post(emulator, "@clicked")
    payload = emulator.click(ALICE_ID, post, button_id(post, "quick"))
    handle = await delivered_twice(emulator, payload, together=True)
    assert answered_once(handle).startswith("You lead @clicked"), reply_text(handle)
    assert query(bot, "SELECT COUNT(*) FROM bids") == [(1,)]


async def test_a_read_delivered_twice_is_answered_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # No write, no key: both copies answer, Discord takes the first, the second's 40060 is
    # not reported as an error (nor followed up: nothing of it took effect).
    await start_auction(emulator, "@lookedat")
    payload = emulator.slash(ALICE_ID, "auction", {"handle": "lookedat"}, "info")
    handle = await delivered_twice(emulator, payload, together=True)
    assert len(handle.followups) == 0
    assert "@lookedat" in reply_text(handle)
    assert len(handle.attempts) == 2, handle.attempts  # the copy's answer was refused
