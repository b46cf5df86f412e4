"""The end-to-end harness: a loopback Discord, and the real bot started as ``python -m bot``
in a child process (so it can be killed hard and started again)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.discord_emulator import (
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    GUILD_ID,
    MODERATOR_ROLE_ID,
    DiscordEmulator,
    InteractionHandle,
    StoredMessage,
    default_world,
)

ROOT = Path(__file__).resolve().parents[2]

BASE_CONFIG = """
[discord]
token = "emulator-token"
guild_ids = [{guild}]
auction_channel_id = {auctions}
audit_channel_id = {audit}
post_edit_interval = "{edit_interval}"

[database]
path = "auctions.db"

[handles]
platform = "x"
reserved = ["admin"]

[currency]
name = "credits"
max_amount = 1_000_000

[bidding]
increment_absolute = 10
increment_percent = 5
anti_snipe_window = "{snipe_window}"
anti_snipe_extension = "{snipe_extension}"
max_extensions = 0

[auctions]
min_duration = "1s"
max_duration = "30d"

[permissions]
moderator_role_ids = [{moderator_role}]

[outbox]
retry_base = "1s"
retry_max = "5s"
"""


class BotProcess:
    """``python -m bot --config ...`` against the emulator, as a child process."""

    def __init__(self, emulator: DiscordEmulator, workdir: Path, **config: Any) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.config_path = workdir / "config.toml"
        self.log_path = workdir / "bot.log"
        values = {
            "guild": GUILD_ID,
            "auctions": AUCTIONS_CHANNEL_ID,
            "audit": AUDIT_CHANNEL_ID,
            "moderator_role": MODERATOR_ROLE_ID,
            "edit_interval": "1s",
            "snipe_window": "2s",
            "snipe_extension": "3s",
        }
        values.update(config)
        self.config_path.write_text(BASE_CONFIG.format(**values), encoding="utf-8")
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        identified = len(self.emulator.identifies)
        env = dict(os.environ, DISCORD_EMULATOR_URL=self.emulator.base_url, PYTHONPATH=str(ROOT))
        env.pop("DISCORD_TOKEN", None)
        log = self.log_path.open("a", encoding="utf-8")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.e2e.run_bot", "--config", str(self.config_path),
            cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.starts += 1
        try:
            await self.emulator.wait_for(lambda: len(self.emulator.identifies) > identified, 20)
            await self.emulator.wait_for_bot(10)
            # Commands are synced in setup_hook, before the gateway connects.
        except TimeoutError:
            raise AssertionError(f"the bot did not connect; its log:\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    async def kill(self) -> None:
        """A hard kill: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None

    async def stop(self) -> int:
        """The polite way: SIGTERM, as a service manager would."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        self.process = None
        return code


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    async with DiscordEmulator(default_world()) as emu:
        yield emu
        await emu.flush_validation()
        assert emu.spec_violations == [], emu.spec_violations
        assert emu.unknown_requests == [], emu.unknown_requests
        assert emu.unrecovered_rate_limits() == [], emu.unrecovered_rate_limits()


@pytest.fixture
async def bot(emulator: DiscordEmulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(emulator, tmp_path)
    await process.start()
    yield process
    code = await process.stop()
    log = process.log()
    assert code == 0, log
    assert "Traceback" not in log, log


async def respond(emulator: DiscordEmulator, payload: dict[str, Any]) -> InteractionHandle:
    """Send an interaction and wait for its first answer (Discord allows 3 s)."""
    handle = await emulator.send_interaction(payload)
    await handle.response(timeout=3)
    return handle


def reply_text(handle: InteractionHandle) -> str:
    """The text the member saw: the original response, or the follow-up after a defer."""
    messages = [m for m in [handle.original, *handle.followups] if m is not None]
    parts = []
    for message in messages:
        parts.append(message.content)
        parts.extend(
            f"{e.get('title', '')} {e.get('description', '')} "
            + " ".join(f"{f['name']}: {f['value']}" for f in e.get("fields", []))
            for e in message.data.get("embeds", [])
        )
    return "\n".join(parts)


async def auction_post(
    emulator: DiscordEmulator, handle: str, channel_id: int = AUCTIONS_CHANNEL_ID
) -> StoredMessage:
    """The live post for ``handle`` in the channel, once it is there."""

    def find() -> StoredMessage | None:
        for message in emulator.channel_messages(channel_id):
            for embed in message.data.get("embeds", []):
                if handle in embed.get("title", ""):
                    return message
        return None

    found: StoredMessage = await emulator.wait_for(find, 5)
    return found
