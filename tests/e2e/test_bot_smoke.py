from __future__ import annotations

import pytest

from bot.sandbox import ALICE_ID, GUILD_ID, MODERATOR_ID, DiscordEmulator
from tests.e2e.conftest import BotProcess, auction_post, reply_text, respond

pytestmark = pytest.mark.e2e


async def test_start_and_bid(emulator: DiscordEmulator, bot: BotProcess) -> None:
    names = {c["name"] for c in emulator.commands(GUILD_ID)}
    assert {"bid", "auction", "auctioneer", "outbid-alerts", "settings"} <= names
    started = await respond(
        emulator,
        emulator.slash(
            MODERATOR_ID,
            "auctioneer",
            {"handle": "@OGName", "starting_bid": 100, "duration": "1h"},
            "start",
        ),
    )
    await emulator.wait_for(lambda: reply_text(started).strip())  # a slow answer is deferred
    assert "started" in reply_text(started), reply_text(started)
    post = await auction_post(emulator, "OGName")
    assert "auction:1:quick:100" in post.custom_ids()
    bid = await respond(
        emulator, emulator.slash(ALICE_ID, "bid", {"handle": "ogname", "amount": 150})
    )
    await emulator.wait_for(lambda: reply_text(bid).strip())
    assert "You lead" in reply_text(bid), reply_text(bid)
