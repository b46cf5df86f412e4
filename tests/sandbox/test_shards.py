"""The loopback Discord routes events by shard as Discord does: a guild's events to the
sessions of shard ``(guild_id >> 22) % count``, DMs to shard 0, every session of a shard
gets all of its guilds' events, and a session without ``shard`` gets everything.

Driven by raw gateway websockets, so each test sees exactly what each session was sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from bot.interface.loopback import point_discord_at
from bot.sandbox import (
    ALICE_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MODERATOR_ID,
    DiscordEmulator,
    default_world,
    guild_id_on_shard,
    guild_on_shard,
    shard_of,
)
from bot.sandbox.openapi_check import spec_path

SHARD1 = guild_on_shard(1, 2)
SHARD1_GENERAL = SHARD1.channels[1].id


class Session:
    """One gateway websocket, identified (or not yet), recording every dispatch it gets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.closed: int | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                payload = json.loads(msg.data)
                if payload["op"] == 0:
                    self.events.append((payload["t"], payload["d"]))
        self.closed = self.ws.close_code

    def named(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]

    def interaction_ids(self) -> set[str]:
        return {data["id"] for data in self.named("INTERACTION_CREATE")}

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    # Only gateway traffic here (the spec describes REST requests).
    async with DiscordEmulator([*default_world(), SHARD1], validate_spec=False) as emu:
        yield emu


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def connect(
    emu: DiscordEmulator, http: aiohttp.ClientSession, shard: list[int] | None
) -> Session:
    """A session that identified with ``shard`` (None: no shard field), once it has its
    guilds."""
    ready_before = emu.connected_bots
    session = Session(await http.ws_connect(emu.gateway_url))
    identify: dict[str, Any] = {"token": "t", "intents": 1, "properties": {}}
    if shard is not None:
        identify["shard"] = shard
    await session.ws.send_json({"op": 2, "d": identify})
    await emu.wait_for(lambda: emu.connected_bots > ready_before, 5)
    return session


async def send(emu: DiscordEmulator, channel_id: int) -> str:
    """A slash command in ``channel_id``; its interaction id, once every session that will
    get it has it (the gateway sends before ``send_interaction`` returns)."""
    handle = await emu.send_interaction(emu.slash(ALICE_ID, "ping", channel_id=channel_id))
    return str(handle.id)


def guild_ids(session: Session) -> list[int]:
    return [int(data["id"]) for data in session.named("GUILD_CREATE")]


def test_the_worlds_guilds_are_on_the_shards_the_tests_need() -> None:
    assert shard_of(GUILD_ID, 2) == 0
    assert shard_of(SHARD1.id, 2) == 1
    for count in (1, 2, 3, 5, 16):
        for shard in range(count):
            made = guild_id_on_shard(shard, count)
            assert shard_of(made, count) == shard
            assert made != GUILD_ID
    # Several servers on one shard differ by number, as do their channels and roles.
    a, b = guild_on_shard(1, 2, number=1), guild_on_shard(1, 2, number=2)
    assert shard_of(a.id, 2) == shard_of(b.id, 2) == 1
    ids_a = {a.id, *(c.id for c in a.channels), *(r.id for r in a.roles)}
    ids_b = {b.id, *(c.id for c in b.channels), *(r.id for r in b.roles)}
    default = default_world()[0]
    ids_default = {default.id, *(c.id for c in default.channels), *(r.id for r in default.roles)}
    assert len(ids_a | ids_b | ids_default) == len(ids_a) + len(ids_b) + len(ids_default)
    with pytest.raises(ValueError, match="shard 2 is not one of 0 to 1"):
        guild_id_on_shard(2, 2)


async def test_each_shard_gets_only_its_guilds_and_their_interactions(
    emu: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    zero = await connect(emu, http, [0, 2])
    one = await connect(emu, http, [1, 2])
    assert emu.connected_shards == [(0, 2), (1, 2)]

    (ready0,) = zero.named("READY")
    (ready1,) = one.named("READY")
    assert ready0["shard"] == [0, 2] and ready1["shard"] == [1, 2]
    assert [int(g["id"]) for g in ready0["guilds"]] == [GUILD_ID]
    assert [int(g["id"]) for g in ready1["guilds"]] == [SHARD1.id]
    assert guild_ids(zero) == [GUILD_ID]
    assert guild_ids(one) == [SHARD1.id]

    in_zero = await send(emu, GENERAL_CHANNEL_ID)
    in_one = await send(emu, SHARD1_GENERAL)
    await emu.wait_for(lambda: zero.interaction_ids() and one.interaction_ids(), 5)
    await asyncio.sleep(0.1)  # nothing else arrives late
    assert zero.interaction_ids() == {in_zero}
    assert one.interaction_ids() == {in_one}

    # A guild event other than an interaction (a channel deleted) follows the same rule.
    await emu.delete_channel(SHARD1.channels[2].id)
    await emu.wait_for(lambda: one.named("CHANNEL_DELETE"), 5)
    await asyncio.sleep(0.1)
    assert zero.named("CHANNEL_DELETE") == []
    await zero.close()
    await one.close()


async def test_direct_messages_go_to_shard_zero_only(
    emu: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    zero = await connect(emu, http, [0, 2])
    one = await connect(emu, http, [1, 2])
    in_dm = await send(emu, emu.dm_channel_id(ALICE_ID))
    await emu.wait_for(zero.interaction_ids, 5)
    await asyncio.sleep(0.1)
    assert zero.interaction_ids() == {in_dm}
    assert one.interaction_ids() == set()
    await zero.close()
    await one.close()


async def test_every_session_of_a_shard_gets_its_guilds_events(
    emu: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    first = await connect(emu, http, [1, 2])
    second = await connect(emu, http, [1, 2])
    assert emu.connected_shards == [(1, 2), (1, 2)]
    assert guild_ids(first) == guild_ids(second) == [SHARD1.id]
    in_one = await send(emu, SHARD1_GENERAL)
    await emu.wait_for(lambda: first.interaction_ids() and second.interaction_ids(), 5)
    assert first.interaction_ids() == second.interaction_ids() == {in_one}

    # Shard 0's guild has no session: Discord delivers it nowhere, and a test hears so.
    with pytest.raises(RuntimeError, match=r"no bot is connected .* for this interaction's shard"):
        await send(emu, GENERAL_CHANNEL_ID)
    assert first.interaction_ids() == second.interaction_ids() == {in_one}
    await first.close()
    await second.close()


async def test_a_session_without_a_shard_gets_everything(
    emu: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    whole = await connect(emu, http, None)
    (ready,) = whole.named("READY")
    assert ready["shard"] == [0, 1]
    assert sorted(guild_ids(whole)) == sorted([GUILD_ID, SHARD1.id])
    ids = {
        await send(emu, GENERAL_CHANNEL_ID),
        await send(emu, SHARD1_GENERAL),
        await send(emu, emu.dm_channel_id(MODERATOR_ID)),
    }
    await emu.wait_for(lambda: len(whole.interaction_ids()) == 3, 5)
    assert whole.interaction_ids() == ids
    await whole.close()


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], [0], "0,1"])
async def test_an_impossible_shard_is_refused(
    emu: DiscordEmulator, http: aiohttp.ClientSession, shard: Any
) -> None:
    session = Session(await http.ws_connect(emu.gateway_url))
    await session.ws.send_json({"op": 2, "d": {"token": "t", "intents": 1, "shard": shard}})
    await asyncio.wait_for(session._reader, 5)
    assert session.closed == 4010  # Discord's "Invalid shard"
    assert session.named("READY") == []
    assert emu.connected_bots == 0


async def test_gateway_bot_answers_as_the_spec_says(
    emu: DiscordEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.base_url}/api/v10/gateway/bot") as response:
        assert response.status == 200
        body = await response.json()
    assert body["url"] == emu.gateway_url
    assert body["shards"] == 1
    schemas = json.loads(spec_path().read_text(encoding="utf-8"))["components"]["schemas"]
    gateway = schemas["GatewayBotResponse"]
    limits = schemas["GatewayBotSessionStartLimitResponse"]
    assert set(gateway["required"]) <= set(body)
    assert set(limits["required"]) <= set(body["session_start_limit"])
    assert all(isinstance(v, int) for v in body["session_start_limit"].values())


@pytest.mark.e2e
async def test_discord_py_shards_connect_to_their_own_guilds(emu: DiscordEmulator) -> None:
    """The real AutoShardedBot: without a count it asks GET /gateway/bot (and runs the one
    shard it recommends); with shard_ids=[1] of 2 it only knows shard 1's guild."""
    point_discord_at(emu.base_url)
    intents = discord.Intents.none()
    intents.guilds = True
    asked = commands.AutoShardedBot(command_prefix="!", intents=intents)
    only_one = commands.AutoShardedBot(
        command_prefix="!", intents=intents, shard_count=2, shard_ids=[1]
    )
    for client in (asked, only_one):
        task = asyncio.create_task(client.start("emulator-token"))
        try:
            await asyncio.wait_for(client.wait_until_ready(), 15)
            if client is asked:
                assert emu.requests("GET", "/gateway/bot")
                assert client.shard_count == 1
                assert {g.id for g in client.guilds} == {GUILD_ID, SHARD1.id}
            else:
                assert client.shard_count == 2
                assert [g.id for g in client.guilds] == [SHARD1.id]
                assert client.guilds[0].shard_id == 1
        finally:
            await client.close()
            await task
    assert [i.get("shard") for i in emu.identifies] == [[0, 1], [1, 2]]
