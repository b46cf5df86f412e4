"""Pledge mode end to end through the real bot and the loopback Discord: the winner's payment
deadline, moderators confirming payment (by command and by button), an unpaid sale offered to
the next bidder with Accept and Decline buttons that still work after a restart, and a
declined offer going on to the next bidder.

The bot runs on the real clock: deadlines are a minute (the shortest a server may set), so
the scenario waits for one deadline, once, for two auctions at a time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUDIT_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    MODERATOR_ID,
    USER,
    DiscordEmulator,
    Opt,
    StoredMessage,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    bid,
    start_auction,
    timestamp,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

PLEDGE = """
[money]
mode = "pledge"
payment_deadline = "1m"
offer_deadline = "10m"
second_chances = 2
defaults_to_bar = 2
"""


@pytest.fixture
async def pledge_bot(
    emulator: DiscordEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BotProcess]:
    environment = {}
    if getattr(request, "param", "sqlite") == "postgres":
        environment["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    process = BotProcess(emulator, tmp_path, environment=environment, extra=PLEDGE)
    await process.start()
    yield process
    code = await process.stop()
    log = process.log()
    assert code == 0, log
    assert "Traceback" not in log, log


def dms_containing(emulator: DiscordEmulator, user_id: int, text: str) -> list[StoredMessage]:
    return [m for m in emulator.dm_messages(user_id) if text in m.content]


def audit_containing(emulator: DiscordEmulator, text: str) -> list[StoredMessage]:
    return [m for m in emulator.channel_messages(AUDIT_CHANNEL_ID) if text in m.content]


def custom_id(message: StoredMessage, suffix: str) -> str:
    [found] = [c for c in message.custom_ids() if c.endswith(suffix)]
    return found


async def owner(emulator: DiscordEmulator, handle: str) -> str:
    return await answered(emulator, emulator.slash(BOB_ID, "handles", {"handle": handle}, "owner"))


@pytest.mark.parametrize("pledge_bot", ["sqlite", "postgres"], indirect=True)
async def test_pledge_settlement_end_to_end(
    emulator: DiscordEmulator, pledge_bot: BotProcess
) -> None:
    # Two auctions at once, so one wait for the payment deadline serves both. On each,
    # ALICE wins at 300; CAROL's 200 is the next highest bid, then BOB's 100.
    for handle in ("@first", "@second"):
        await start_auction(emulator, handle, starting_bid=100, duration="4s")
    for handle in ("first", "second"):
        await bid(emulator, BOB_ID, handle, 100)
        await bid(emulator, CAROL_ID, handle, 200)
        await bid(emulator, ALICE_ID, handle, 300)

    # The winner's DM gives the payment deadline as a Discord timestamp, a minute away.
    won = await emulator.wait_for(
        lambda: (
            len(dms_containing(emulator, ALICE_ID, "You won")) == 2
            and dms_containing(emulator, ALICE_ID, "You won")
        ),
        30,
    )
    text = won[0].content
    assert "Please pay by" in text, text
    due = timestamp(text, "F")
    assert timestamp(text, "R") == due
    assert time.time() - 10 < due <= time.time() + 61
    # The audit channel's copy of the sale has a Mark paid button.
    sold = await emulator.wait_for(lambda: audit_containing(emulator, "sold to"), 20)
    assert any(c.endswith(":paid") for c in sold[0].custom_ids())
    # Not sold yet, and not for a member to confirm.
    assert "is not held by anyone" in await owner(emulator, "first")
    refused = await answered(
        emulator, emulator.slash(ALICE_ID, "auctioneer", {"handle": "first"}, "paid")
    )
    assert "Only moderators" in refused, refused
    refused = await answered(
        emulator, emulator.click(ALICE_ID, sold[0], custom_id(sold[0], ":paid"))
    )
    assert "Only moderators" in refused, refused

    # Unpaid a minute later: the sale defaults and CAROL is offered each handle at her 200.
    offers = await emulator.wait_for(
        lambda: (
            len(dms_containing(emulator, CAROL_ID, "Second chance")) == 2
            and dms_containing(emulator, CAROL_ID, "Second chance")
        ),
        120,
    )
    first = next(m for m in offers if "@first" in m.content)
    second = next(m for m in offers if "@second" in m.content)
    assert "**200 credits**" in first.content, first.content
    labels = sorted(c["label"] for row in first.data["components"] for c in row["components"])
    assert labels == ["Accept", "Decline"]
    await emulator.wait_for(lambda: len(audit_containing(emulator, "did not pay")) == 2, 20)

    # The bot restarts between the offer and the press: the buttons still work.
    await pledge_bot.stop()
    await pledge_bot.start()

    # Only CAROL may answer her offer.
    refused = await answered(emulator, emulator.click(BOB_ID, first, custom_id(first, ":accept")))
    assert "made to another member" in refused, refused
    accepted = await answered(
        emulator, emulator.click(CAROL_ID, first, custom_id(first, ":accept"))
    )
    assert "You accepted the offer" in accepted, accepted
    assert timestamp(accepted, "F") > time.time()
    again = await answered(emulator, emulator.click(CAROL_ID, first, custom_id(first, ":decline")))
    assert "accepted this offer for @first already" in again, again
    await emulator.wait_for(lambda: dms_containing(emulator, CAROL_ID, "You accepted @first"), 20)

    # A moderator confirms CAROL's payment: the sold list shows her as the owner.
    paid = await answered(
        emulator,
        emulator.slash(MODERATOR_ID, "auctioneer", {"handle": "first", "reason": "paid"}, "paid"),
    )
    assert f"sold to <@{CAROL_ID}> at 200 credits" in paid, paid
    held = await owner(emulator, "first")
    assert f"<@{CAROL_ID}>" in held and "200 credits" in held, held
    await emulator.wait_for(lambda: dms_containing(emulator, CAROL_ID, "is confirmed"), 20)

    # CAROL declines the second: BOB is offered it at his own 100; he accepts, and a
    # moderator's press of Mark paid on the audit copy sells it to him.
    declined = await answered(
        emulator, emulator.click(CAROL_ID, second, custom_id(second, ":decline"))
    )
    assert "You declined" in declined, declined
    [bobs] = await emulator.wait_for(lambda: dms_containing(emulator, BOB_ID, "Second chance"), 20)
    assert "@second" in bobs.content and "**100 credits**" in bobs.content, bobs.content
    await answered(emulator, emulator.click(BOB_ID, bobs, custom_id(bobs, ":accept")))
    [copy] = await emulator.wait_for(
        lambda: audit_containing(emulator, f"<@{BOB_ID}> accepted"), 20
    )
    marked = await answered(emulator, emulator.click(MODERATOR_ID, copy, custom_id(copy, ":paid")))
    assert f"sold to <@{BOB_ID}> at 100 credits" in marked, marked
    held = await owner(emulator, "second")
    assert f"<@{BOB_ID}>" in held, held
    again = await answered(emulator, emulator.click(MODERATOR_ID, copy, custom_id(copy, ":paid")))
    assert "no longer due" in again, again

    # ALICE left both wins unpaid: barred (defaults_to_bar = 2) until a moderator lifts it.
    await start_auction(emulator, "@third", starting_bid=100, duration="1h")
    barred = await bid(emulator, ALICE_ID, "third", 100)
    assert "barred from bidding on this server after 2 unpaid wins" in barred, barred
    unbar = {"member": Opt(USER, ALICE_ID), "reason": "paid the fee"}
    refused = await answered(emulator, emulator.slash(ALICE_ID, "auctioneer", unbar, "unbar"))
    assert "Only moderators" in refused, refused
    lifted = await answered(emulator, emulator.slash(MODERATOR_ID, "auctioneer", unbar, "unbar"))
    assert "can bid again (they had 2 unpaid wins" in lifted, lifted
    assert "You lead @third" in await bid(emulator, ALICE_ID, "third", 100)
    await emulator.wait_for(lambda: audit_containing(emulator, "lifted the bar"), 20)

    # Each DM went out once, across the restart.
    assert len(dms_containing(emulator, CAROL_ID, "Second chance")) == 2
    assert len(dms_containing(emulator, BOB_ID, "Second chance")) == 1
    assert len(dms_containing(emulator, ALICE_ID, "You won")) == 2
