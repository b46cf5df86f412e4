"""An unexpected error: logged with its traceback, and the member gets an ephemeral apology
with a short error id, never "This interaction failed" (scenario 13).

Triggered from outside: Discord refuses the bot's first answer (400), which the bot cannot
expect. The one error handler then answers instead."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import ALICE_ID, CAROL_ID, DiscordEmulator
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    button_id,
    info,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

CALLBACK = r"/interactions/\d+/[^/]+/callback"
APOLOGY = re.compile(
    r"^Sorry, something went wrong on our side\. If it keeps happening, tell a moderator the "
    r"error id `([0-9a-f]{8})`\.$"
)


async def test_an_unexpected_error_gets_an_apology_with_an_error_id(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    bot = await bots(allow_tracebacks=True)
    await start_auction(emulator, "@fragile")
    post = await auction_post(emulator, "@fragile")

    # A slash command.
    emulator.fail_next("POST", CALLBACK, status=400, code=50035)
    apology = await answered(
        emulator, emulator.slash(ALICE_ID, "bid", {"handle": "fragile", "amount": 100})
    )
    found = APOLOGY.match(apology)
    assert found, apology
    error_id = found.group(1)
    log = bot.log()
    assert f"ERROR   bot.interface.errors: error {error_id} in /bid from {ALICE_ID}" in log, log
    assert "Traceback (most recent call last)" in log.split(f"error {error_id}")[1]
    # The apology promises nothing about the bid; /auction info tells (it did go through).
    assert "Bids: 1" in await info(emulator, "fragile")

    # A button on the post.
    emulator.fail_next("POST", CALLBACK, status=400, code=50035)
    apology = await answered(emulator, emulator.click(CAROL_ID, post, button_id(post, ":info")))
    found = APOLOGY.match(apology)
    assert found, apology
    assert found.group(1) != error_id  # each error has its own id
    assert f"error {found.group(1)} in auction:" in bot.log()
