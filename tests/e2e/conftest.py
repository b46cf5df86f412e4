"""The end-to-end harness: a loopback Discord, and the real bot started as ``python -m bot``
in a child process (so it can be killed hard and started again)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import (
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    CAROL_ID,
    GUILD_ID,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    DiscordEmulator,
    InteractionHandle,
    RecordedRequest,
    StoredMessage,
    default_world,
)
from bot.sandbox.world import GuildSpec

ROOT = Path(__file__).resolve().parents[2]

BASE_CONFIG = """
[discord]
token = "emulator-token"
guild_ids = [{guild}]
auction_channel_id = {auctions}
audit_channel_id = {audit}
post_edit_interval = "{edit_interval}"
http_connections = {http_connections}
processes = {processes}
{shards}

[database]
path = "auctions.db"

[handles]
platform = "{platform}"
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
{outbox}

{extra}
"""


# For a test that must hold on both stores: its bot runs on SQLite, then on PostgreSQL.
on_both_stores = pytest.mark.parametrize("bot", ["sqlite", "postgres"], indirect=True)


class BotProcess:
    """``python -m bot --config ...`` against the emulator, as a child process."""

    def __init__(
        self,
        emulator: DiscordEmulator,
        workdir: Path,
        *,
        environment: dict[str, str] | None = None,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
        **config: Any,
    ) -> None:
        self.emulator = emulator
        self.environment = environment or {}  # e.g. DATABASE_URL
        self.workdir = workdir
        self.config_path = workdir / "config.toml"
        self.log_path = workdir / "bot.log"
        values = {
            "guild": GUILD_ID,
            "auctions": AUCTIONS_CHANNEL_ID,
            "audit": AUDIT_CHANNEL_ID,
            "moderator_role": MODERATOR_ROLE_ID,
            "edit_interval": "1s",
            "http_connections": 100,
            "processes": 1,  # bot processes sharing the token (and the database)
            "snipe_window": "2s",
            "snipe_extension": "3s",
            "platform": "x",
            "outbox": "",  # more [outbox] keys, e.g. 'give_up_after = "2d"'
            "extra": "",  # more TOML tables, e.g. "[handles.generic]\ncharacters = ..."
        }
        shards = ""
        if shard_count is not None:
            shards += f"shard_count = {shard_count}\n"
        if shard_ids is not None:
            shards += f"shard_ids = {list(shard_ids)}\n"
        values["shards"] = shards
        # The gateway sessions a start opens: one per shard this process runs.
        self.sessions = len(shard_ids) if shard_ids else (shard_count or 1)
        values.update(config)
        self.config_path.write_text(BASE_CONFIG.format(**values), encoding="utf-8")
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def _env(self) -> dict[str, str]:
        env = dict(os.environ, DISCORD_EMULATOR_URL=self.emulator.base_url, PYTHONPATH=str(ROOT))
        env.pop("DISCORD_TOKEN", None)
        env.pop("DATABASE_URL", None)  # only where a test sets it
        env.update(self.environment)
        return env

    async def start(self, *args: str, sessions: int | None = None) -> None:
        """Start the bot (``args`` go after ``--config PATH``, e.g. ``"--sync"``) and wait
        until it has identified ``sessions`` times (default: once per shard of its config;
        discord.py waits about 5 s between shards)."""
        identified = len(self.emulator.identifies)
        expected = identified + (sessions or self.sessions)
        log = self.log_path.open("a", encoding="utf-8")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.e2e.run_bot", "--config", str(self.config_path), *args,
            cwd=ROOT, env=self._env(), stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.starts += 1
        try:
            await self.emulator.wait_for(lambda: len(self.emulator.identifies) >= expected, 30)
            await self.emulator.wait_for_bot(10)
            # Commands are synced in setup_hook, before the gateway connects.
        except TimeoutError:
            raise AssertionError(f"the bot did not connect; its log:\n{self.log()}") from None

    async def run(self, *args: str, timeout: float = 30) -> tuple[int, str]:  # noqa: ASYNC109
        """Run ``python -m tests.e2e.run_bot --config PATH *args`` to completion (e.g.
        ``"sync"``); its exit code and output."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.e2e.run_bot", "--config", str(self.config_path), *args,
            cwd=ROOT, env=self._env(), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode is not None
        return process.returncode, output.decode()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    async def kill(self) -> None:
        """A hard kill: no shutdown code runs."""
        assert self.process is not None
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # already killed (kill_now)
                self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None

    def kill_now(self) -> None:
        """SIGKILL without waiting (e.g. from an emulator request hook); then ``await kill()``."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """The polite way: SIGTERM, as a service manager would."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            self.process = None
            # Said outright: a bare -9 would look like a kill from outside the test.
            raise AssertionError(
                f"the bot did not stop within 30 s of SIGTERM; its log:\n{self.log()}"
            ) from None
        self.process = None
        return code


@contextlib.asynccontextmanager
async def checked_emulator(world: list[GuildSpec]) -> AsyncIterator[DiscordEmulator]:
    """The emulator of ``world``; on the way out, everything the bot sent matched Discord's
    spec, asked for known routes and recovered from every 429."""
    async with DiscordEmulator(world) as emu:
        yield emu
        await emu.flush_validation()
        assert emu.spec_violations == [], emu.spec_violations
        assert emu.unknown_requests == [], emu.unknown_requests
        assert emu.unrecovered_rate_limits() == [], emu.unrecovered_rate_limits()


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    async with checked_emulator(default_world()) as emu:
        yield emu


@pytest.fixture
async def bot(
    emulator: DiscordEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BotProcess]:
    """The bot on SQLite; a test parametrised with ``bot=["sqlite", "postgres"]`` (indirect)
    runs once more on a PostgreSQL database of its own (``DATABASE_URL``)."""
    environment = {}
    if getattr(request, "param", "sqlite") == "postgres":
        environment["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    process = BotProcess(emulator, tmp_path, environment=environment)
    await process.start()
    yield process
    code = await process.stop()
    log = process.log()
    assert code == 0, log
    assert "Traceback" not in log, log


@pytest.fixture
async def bots(
    emulator: DiscordEmulator, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[BotProcess]]]:
    """A factory for bots with their own config (``BotProcess`` keyword knobs), each started
    in its own directory and stopped cleanly at the end. ``allow_tracebacks=True`` is for
    tests that make the bot log an unexpected error on purpose; ``args`` and ``sessions``
    go to ``BotProcess.start``."""
    started: list[tuple[BotProcess, bool]] = []

    async def make(
        *,
        allow_tracebacks: bool = False,
        args: Sequence[str] = (),
        sessions: int | None = None,
        **config: Any,
    ) -> BotProcess:
        workdir = tmp_path / f"bot{len(started)}"
        workdir.mkdir()
        process = BotProcess(emulator, workdir, **config)
        started.append((process, allow_tracebacks))
        await process.start(*args, sessions=sessions)
        return process

    yield make
    for process, allow_tracebacks in started:
        code = await process.stop()
        log = process.log()
        assert code == 0, log
        assert allow_tracebacks or "Traceback" not in log, log


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

    found: StoredMessage = await emulator.wait_for(find, 20)
    return found


# --- helpers for the scenario tests ----------------------------------------------------------

# Requests that carry a message the bot wrote (channel messages, DMs, interaction answers).
MESSAGE_REQUEST = re.compile(
    r"^/(channels/\d+/messages(/\d+)?|interactions/\d+/[^/]+/callback|webhooks/\d+/[^/]+(/messages/[^/]+)?)$"
)
EVERYONE_PING = re.compile(r"@(everyone|here)\b")


def embed(message: StoredMessage) -> dict[str, Any]:
    """The message's (first) embed."""
    embeds: list[dict[str, Any]] = message.data["embeds"]
    assert embeds, f"message {message.id} has no embed: {message.data}"
    return embeds[0]


def fields(message: StoredMessage) -> dict[str, str]:
    """The first embed's fields by name."""
    return {f["name"]: f["value"] for f in embed(message).get("fields", [])}


def buttons(message: StoredMessage) -> dict[str, dict[str, Any]]:
    """The message's buttons by label."""
    return {
        c["label"]: c
        for row in message.data["components"]
        for c in row.get("components", [])
        if c.get("type") == 2
    }


def button_id(message: StoredMessage, suffix: str) -> str:
    """The custom id of the message's button whose custom id ends with ``suffix``
    (``":bid"``, ``":info"``) or contains ``":quick:"`` when ``suffix == "quick"``."""
    for custom_id in message.custom_ids():
        if (suffix == "quick" and ":quick:" in custom_id) or custom_id.endswith(suffix):
            return custom_id
    raise AssertionError(f"no {suffix!r} button on message {message.id}: {message.custom_ids()}")


def timestamp(text: str, style: str = "R") -> int:
    """The unix time of the first ``<t:UNIX:style>`` in ``text``."""
    found = re.search(rf"<t:(\d+):{style}>", text)
    assert found, f"no <t:...:{style}> timestamp in {text!r}"
    return int(found.group(1))


def is_closed_post(message: StoredMessage) -> bool:
    """The post shows the auction as closed, with its bid buttons disabled."""
    shown = buttons(message)
    bid_buttons = [b for label, b in shown.items() if label.startswith("Bid")]
    return (
        "auction closed" in embed(message).get("title", "")
        and len(bid_buttons) == 2
        and all(b.get("disabled") for b in bid_buttons)
    )


def channel_texts(
    emulator: DiscordEmulator, prefix: str, channel_id: int = AUCTIONS_CHANNEL_ID
) -> list[StoredMessage]:
    """The channel's messages whose content starts with ``prefix``."""
    return [m for m in emulator.channel_messages(channel_id) if m.content.startswith(prefix)]


def assert_private_answer(handle: InteractionHandle, *, within: float = 3.0) -> str:
    """The interaction was answered ephemerally within Discord's deadline; the text shown."""
    assert handle.latency is not None and handle.latency <= within, handle.latency
    assert not handle.expired
    shown = [m for m in [handle.original, *handle.followups] if m is not None]
    assert shown, f"interaction {handle.id} has no visible answer: {handle.callback}"
    assert all(m.ephemeral for m in shown), [m.data for m in shown]
    return reply_text(handle)


async def answered(emulator: DiscordEmulator, payload: dict[str, Any]) -> str:
    """Send an interaction; its ephemeral answer's text once complete (a deferred answer's
    follow-up included)."""
    handle = await respond(emulator, payload)
    await emulator.wait_for(lambda: reply_text(handle).strip(), 20)
    return assert_private_answer(handle)


async def start_auction(
    emulator: DiscordEmulator,
    handle: str,
    *,
    starting_bid: int = 100,
    duration: str = "1h",
    user_id: int = MODERATOR_ID,
    **options: Any,
) -> str:
    """``/auctioneer start`` by a moderator; the (ephemeral) answer's text."""
    return await answered(
        emulator,
        emulator.slash(
            user_id,
            "auctioneer",
            {"handle": handle, "starting_bid": starting_bid, "duration": duration, **options},
            "start",
        ),
    )


async def bid(
    emulator: DiscordEmulator, user_id: int, handle: str, amount: int, maximum: int | None = None
) -> str:
    """``/bid``; the ephemeral answer's text."""
    options: dict[str, Any] = {"handle": handle, "amount": amount}
    if maximum is not None:
        options["max"] = maximum
    return await answered(emulator, emulator.slash(user_id, "bid", options))


async def info(emulator: DiscordEmulator, handle: str, user_id: int = CAROL_ID) -> str:
    """``/auction info``; the ephemeral answer's text."""
    return await answered(emulator, emulator.slash(user_id, "auction", {"handle": handle}, "info"))


def message_requests(emulator: DiscordEmulator) -> list[RecordedRequest]:
    """Every request that sent or edited a message the bot wrote."""
    return [
        r
        for r in emulator.requests()
        if r.method in {"POST", "PATCH"} and MESSAGE_REQUEST.match(r.path) and r.json is not None
    ]


def message_body(request: RecordedRequest) -> dict[str, Any]:
    """The message part of a request body (an interaction callback nests it in ``data``)."""
    body: dict[str, Any] = request.json
    if "/callback" in request.path:
        data: dict[str, Any] = body.get("data") or {}
        return data
    return body


@pytest.fixture
def no_everyone_pings_and_no_failed_interactions(
    emulator: DiscordEmulator,
) -> Iterator[None]:
    """After the test: every interaction was acknowledged in time (nobody saw "This
    interaction failed"), and nothing the bot sent could ping @everyone or @here."""
    yield
    for handle in emulator.interactions:
        assert handle.acknowledged and not handle.expired, (handle.payload, handle.attempts)
    for request in message_requests(emulator):
        body = message_body(request)
        if not body.get("content"):
            continue  # embeds never ping; a modal, an autocomplete answer, a bare defer
        allowed = body.get("allowed_mentions")
        assert allowed is not None, (request.path, body)
        assert "everyone" not in (allowed.get("parse") or []), (request.path, body)
    for message in emulator._messages.values():  # every channel, DMs and answers included
        assert not message.data["mention_everyone"], message.data
