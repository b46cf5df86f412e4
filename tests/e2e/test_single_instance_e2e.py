"""A second ``python -m bot`` on the database of a running bot refuses to start, so no
interaction is answered twice."""

from __future__ import annotations

import pytest

from bot.sandbox import ALICE_ID, DiscordEmulator
from tests.e2e.conftest import BotProcess, bid, start_auction

pytestmark = pytest.mark.e2e


async def test_a_second_bot_on_the_same_database_exits_without_connecting(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    assert bot.process is not None
    identified = len(emulator.identifies)
    # Same config, same database file: a second copy of the running bot.
    code, output = await bot.run(timeout=60)
    assert code == 1, output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    assert f"(pid {bot.process.pid})" in errors[0]
    assert str((bot.workdir / "auctions.db").resolve()) in errors[0]
    assert len(emulator.identifies) == identified  # it never reached the gateway

    # The first bot is unaffected.
    assert "started" in await start_auction(emulator, "@onlyonce", duration="1h")
    assert "You lead" in await bid(emulator, ALICE_ID, "onlyonce", 150)
