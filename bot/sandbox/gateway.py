"""The gateway: the websocket the bot connects to, and the events the emulator sends on it.

HELLO on connect, heartbeat acks, IDENTIFY (answered with READY, then a GUILD_CREATE per
guild of the session's shard), RESUME of a known session (else INVALID_SESSION), and
REQUEST_GUILD_MEMBERS (one member chunk). ``dispatch`` sends an event to every session that
has identified and serves the event's guild. Every TCP connection the bot opens, gateway or
HTTP, is counted once in ``connections_opened``.

Sharding as Discord does it: IDENTIFY may carry ``shard: [id, count]`` (without it a session
is shard 0 of 1, which serves everything); a guild's events go to the sessions whose shard is
``(guild_id >> 22) % count``, events without a guild (DMs) to shard 0. Several sessions may
identify as the same shard, and each of them then receives every event of its guilds.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import weakref
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.base import EmulatorBase, log
from bot.sandbox.replies import JSON
from bot.sandbox.world import shard_of

Shard = tuple[int, int]  # (shard id, shard count), as IDENTIFY's ``shard`` field
UNSHARDED: Shard = (0, 1)
INVALID_SHARD = 4010  # Discord's close code for a shard IDENTIFY it cannot accept


def serves(shard: Shard, guild_id: int | None) -> bool:
    """Whether a session identified as ``shard`` receives an event of ``guild_id`` (None: an
    event without a guild, such as a DM, which only shard 0 receives)."""
    shard_id, shard_count = shard
    if guild_id is None:
        return shard_id == 0
    return shard_of(guild_id, shard_count) == shard_id


def _shard(value: Any) -> Shard | None:
    """IDENTIFY's ``shard`` as a pair, or None if Discord would refuse it."""
    if value is None:
        return UNSHARDED
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1]
    ):
        return value[0], value[1]
    return None


def event_guild(event: str, data: JSON) -> int | None:
    """The guild an event belongs to: its ``guild_id``, or a guild event's own id."""
    if data.get("guild_id") is not None:
        return int(data["guild_id"])
    if event.startswith("GUILD_") and data.get("id") is not None:
        return int(data["id"])
    return None


@dataclass(eq=False)
class Connection:
    """One gateway websocket: its sequence number, its session and shard, whether the bot is
    ready."""

    ws: web.WebSocketResponse
    seq: int = 0
    session_id: str | None = None
    ready: bool = False
    shard: Shard = UNSHARDED
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class GatewayServer(EmulatorBase):
    """The gateway's websocket endpoint and the events sent to connected bots."""

    heartbeat_interval_ms: int
    identifies: list[JSON]  # every IDENTIFY payload received
    connections_opened: int  # TCP connections the bot opened (HTTP and gateway)
    _conns: set[Connection]
    _sessions: dict[str, Shard]  # every session identified, with its shard
    _transports: weakref.WeakSet[asyncio.BaseTransport]

    def _count_connection(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None and transport not in self._transports:
            self._transports.add(transport)
            self.connections_opened += 1

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        self._count_connection(request)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(ws)
        self._conns.add(conn)
        try:
            await self._send(
                conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_message(conn, json.loads(msg.data))
        except ConnectionError:
            log.debug("gateway connection lost")
        finally:
            self._conns.discard(conn)
        return ws

    async def _send(self, conn: Connection, payload: JSON) -> None:
        async with conn.lock:
            if payload.get("op") == 0:
                conn.seq += 1
                payload["s"] = conn.seq
            else:
                payload.setdefault("s", None)
                payload.setdefault("t", None)
            await conn.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, conn: Connection, event: str, data: JSON) -> None:
        await self._send(conn, {"op": 0, "t": event, "d": data})

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send a gateway event to every connected session serving its guild (see the module
        docstring); the number of sessions reached."""
        guild_id = event_guild(event, data)
        conns = [c for c in self._conns if c.ready and serves(c.shard, guild_id)]
        reached = 0
        for conn in conns:
            try:
                await self._dispatch_to(conn, event, data)
                reached += 1
            except ConnectionError:
                conn.ready = False
        return reached

    async def _on_gateway_message(self, conn: Connection, msg: Any) -> None:
        op, d = msg.get("op"), msg.get("d")  # d: any JSON value
        if op == 1:  # heartbeat
            await self._send(conn, {"op": 11})
        elif op == 2:  # identify
            await self._identify(conn, d)
        elif op == 6:  # resume
            if d["session_id"] in self._sessions:
                conn.session_id, conn.seq, conn.ready = (
                    d["session_id"],
                    int(d.get("seq") or 0),
                    True,
                )
                conn.shard = self._sessions[d["session_id"]]
                await self._dispatch_to(conn, "RESUMED", {})
            else:
                await self._send(conn, {"op": 9, "d": False})
        elif op == 8:  # request guild members
            await self._members_chunk(conn, d)

    async def _identify(self, conn: Connection, d: JSON) -> None:
        self.identifies.append(d)
        shard = _shard(d.get("shard"))
        if shard is None:
            await conn.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        conn.shard = shard
        conn.session_id = secrets.token_hex(16)
        self._sessions[conn.session_id] = shard
        guilds = [g for gid, g in self._guilds.items() if serves(shard, gid)]
        me = {**self._users[self.bot_user_id], "verified": True, "mfa_enabled": False, "flags": 0}
        await self._dispatch_to(
            conn,
            "READY",
            {
                "v": 10,
                "user": me,
                "session_id": conn.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "shard": list(shard),
                "guilds": [{"id": str(g.spec.id), "unavailable": True} for g in guilds],
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
            },
        )
        for guild in guilds:
            await self._dispatch_to(conn, "GUILD_CREATE", self._guild_create(guild))
        conn.ready = True

    async def _members_chunk(self, conn: Connection, d: JSON) -> None:
        guild = self._guilds[int(d["guild_id"])]
        wanted = {int(u) for u in d.get("user_ids") or []}
        members = [
            self._member_object(guild, uid)
            for uid, m in guild.members.items()
            if (not wanted or uid in wanted) and m.username.startswith(d.get("query") or "")
        ]
        await self._dispatch_to(
            conn,
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(guild.spec.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "nonce": d.get("nonce"),
            },
        )
