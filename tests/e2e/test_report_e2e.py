"""The revenue report end to end: after a sold auction, a moderator's ``/auctioneer report``
answers privately with an embed of the figures and the chart attached as a PNG; a member is
refused; other members' commands are answered while the report is made (the chart is drawn
off the event loop)."""

from __future__ import annotations

import asyncio
import struct

import pytest

from bot.sandbox import ALICE_ID, BOB_ID, CAROL_ID, MODERATOR_ID, DiscordEmulator, StoredMessage
from tests.e2e.conftest import (
    BotProcess,
    answered,
    assert_private_answer,
    bid,
    embed,
    fields,
    reply_text,
    respond,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

WAIT = 30.0  # seconds: generous, every wait ends as soon as its condition holds
CHART = "revenue.png"


def shown(handle: object) -> StoredMessage:
    """The message that carries the answer: the original, or the follow-up after a defer."""
    messages = [m for m in [handle.original, *handle.followups] if m is not None]  # type: ignore[attr-defined]
    found = [m for m in messages if m.content or m.data.get("embeds")]
    assert found, [m.data for m in messages]
    return found[-1]


async def sold(emulator: DiscordEmulator, handle: str, *bids: tuple[int, int]) -> None:
    await start_auction(emulator, handle, starting_bid=100)
    for user_id, amount in bids:
        await bid(emulator, user_id, handle, amount)
    ended = await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": handle}, "end")
    )
    assert "ended" in ended, ended


@pytest.mark.parametrize("bot", ["sqlite", "postgres"], indirect=True)
async def test_a_moderator_gets_the_report_with_its_chart(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await sold(emulator, "@rare", (ALICE_ID, 150), (BOB_ID, 420))
    await sold(emulator, "@unloved")

    # Members keep being answered while the report is made.
    asking = await emulator.send_interaction(
        emulator.slash(MODERATOR_ID, "auctioneer", {"period": "7d"}, "report")
    )
    others = await asyncio.gather(
        *(
            answered(emulator, emulator.slash(CAROL_ID, "auction", {"handle": "@rare"}, "info"))
            for _ in range(3)
        )
    )
    assert all("rare" in text.lower() for text in others), others
    await asyncio.wait_for(asking.response(), 3)
    await emulator.wait_for(lambda: reply_text(asking).strip(), WAIT)
    assert_private_answer(asking)

    message = shown(asking)
    report = embed(message)
    assert report["title"] == "Revenue report: the last 7 days"
    figures = fields(message)
    assert figures["Auctions"].startswith("2 closed, 1 of them sold (50% sell-through)")
    assert figures["Revenue"].startswith("420 credits from 1 sale(s)")
    assert "Median price 420" in figures["Revenue"]
    assert (
        figures["By handle length"]
        == "4 character(s): 1 sale(s), 420 credits; median 420, average 420"
    )
    assert figures["Top sales"].startswith(f"1. @rare: 420 credits to <@{BOB_ID}>, <t:")
    assert figures["Pledges"] == "0 default(s), 0 second-chance sale(s)"
    assert report["image"]["url"].endswith(CHART)

    png = emulator.attachment_bytes(message, CHART)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1000, 500)


async def test_members_are_refused_the_report(emulator: DiscordEmulator, bot: BotProcess) -> None:
    handle = await respond(
        emulator, emulator.slash(ALICE_ID, "auctioneer", {"period": "all"}, "report")
    )
    await emulator.wait_for(lambda: reply_text(handle).strip(), WAIT)
    text = assert_private_answer(handle)
    assert "Only moderators" in text, text
    assert not shown(handle).data.get("attachments")
    assert not shown(handle).data.get("embeds")


async def test_the_default_period_is_thirty_days(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    text = await answered(emulator, emulator.slash(MODERATOR_ID, "auctioneer", None, "report"))
    assert "Revenue report: the last 30 days" in text
    assert "0 closed, 0 of them sold (no closed auctions)" in text


async def test_a_period_outside_the_choices_is_refused(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # Discord offers only the four choices; a forged interaction with another value is
    # refused in words, not with a failure.
    text = await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"period": "365d"}, "report")
    )
    assert "`365d` is not a report period: use one of 7d, 30d, 90d, all." in text, text
