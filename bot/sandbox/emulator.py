"""A loopback emulator of Discord's REST API and gateway for end-to-end tests.

The real discord.py client talks to it over HTTP and a websocket on 127.0.0.1 (see
``bot.interface.loopback.point_discord_at``). It keeps what a test asserts on (messages with their
edit history, DMs, registered commands, every request) and injects the failures a bot must
survive (429s, 5xx, error codes, deleted messages, closed DMs, late interaction callbacks).

    async with DiscordEmulator() as emu:
        point_discord_at(emu.base_url)
        ...  # start the bot, await emu.wait_for_bot()
        handle = await emu.send_interaction(emu.slash(ALICE_ID, "bid", {"amount": 10}))
        reply = await handle.response(timeout=3)
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import itertools
import json
import logging
import math
import os
import re
import secrets
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import BodyPartReader, WSMsgType, web

log = logging.getLogger(__name__)

JSON = dict[str, Any]
API_PREFIX = "/api/v10"

# Permission bits.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 52) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
)
EPHEMERAL = 1 << 6  # message flag
LOADING = 1 << 7  # message flag of a deferred response ("Bot is thinking...")

# Interaction types, option types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
)
NUMBER = 10

ERRORS: dict[int, str] = {
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    30046: "Maximum number of edits to messages older than 1 hour reached. Try again later.",
    40060: "Interaction has already been acknowledged.",
    50007: "Cannot send messages to this user",
    50027: "Invalid Webhook Token",
    50035: "Invalid Form Body",
    50109: "The request body contains invalid JSON.",
}

# The default world: snowflake-looking ids a test can import.
APPLICATION_ID = 1_210_000_000_000_000_001
GUILD_ID = 1_210_000_000_000_000_100
AUCTIONS_CHANNEL_ID = 1_210_000_000_000_000_201
GENERAL_CHANNEL_ID = 1_210_000_000_000_000_202
AUDIT_CHANNEL_ID = 1_210_000_000_000_000_203
MODERATOR_ROLE_ID = 1_210_000_000_000_000_301
BIDDER_ROLE_ID = 1_210_000_000_000_000_302
OWNER_ID = 1_210_000_000_000_000_401
MODERATOR_ID = 1_210_000_000_000_000_402
ALICE_ID = 1_210_000_000_000_000_403
BOB_ID = 1_210_000_000_000_000_404
CAROL_ID = 1_210_000_000_000_000_405
EVERYONE_NAMED_ID = 1_210_000_000_000_000_406  # username "@everyone", for escaping tests


@dataclass(frozen=True)
class RoleSpec:
    id: int
    name: str
    permissions: str = "0"  # bitfield as a decimal string, as Discord sends it
    position: int = 1


@dataclass(frozen=True)
class ChannelSpec:
    id: int
    name: str  # a text channel (type 0)


@dataclass(frozen=True)
class MemberSpec:
    user_id: int
    username: str
    role_ids: Sequence[int] = ()
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True


@dataclass(frozen=True)
class GuildSpec:
    id: int
    name: str
    owner_id: int
    roles: Sequence[RoleSpec] = ()  # the @everyone role (id == guild id) is added if missing
    channels: Sequence[ChannelSpec] = ()
    members: Sequence[MemberSpec] = ()  # the bot is added if missing
    everyone_permissions: str = str(EVERYONE_PERMISSIONS)


def default_world() -> list[GuildSpec]:
    """One guild: #auctions, #general, #audit; an owner, a moderator, three bidders."""
    return [
        GuildSpec(
            id=GUILD_ID,
            name="Handle Market",
            owner_id=OWNER_ID,
            roles=(
                RoleSpec(MODERATOR_ROLE_ID, "Moderator", str(MANAGE_GUILD), position=2),
                RoleSpec(BIDDER_ROLE_ID, "Bidder", "0", position=1),
            ),
            channels=(
                ChannelSpec(AUCTIONS_CHANNEL_ID, "auctions"),
                ChannelSpec(GENERAL_CHANNEL_ID, "general"),
                ChannelSpec(AUDIT_CHANNEL_ID, "audit"),
            ),
            members=(
                MemberSpec(OWNER_ID, "owner"),
                MemberSpec(MODERATOR_ID, "mod_maria", (MODERATOR_ROLE_ID,)),
                MemberSpec(ALICE_ID, "alice", (BIDDER_ROLE_ID,), global_name="Alice"),
                MemberSpec(BOB_ID, "bob", (BIDDER_ROLE_ID,)),
                MemberSpec(CAROL_ID, "carol"),
                MemberSpec(EVERYONE_NAMED_ID, "@everyone", global_name="@here **bold**"),
            ),
        )
    ]


@dataclass(frozen=True)
class Opt:
    """A slash-command option with an explicit type (e.g. ``Opt(USER, ALICE_ID)``)."""

    type: int
    value: Any


@dataclass
class StoredMessage:
    """A message as the emulator holds it: ``data`` is the current Discord message object."""

    data: JSON
    history: list[JSON] = field(default_factory=list)  # earlier versions, oldest first
    deleted: bool = False
    allowed_mentions: JSON | None = None
    interaction_id: int | None = None

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return str(self.data["content"])

    @property
    def edit_count(self) -> int:
        return len(self.history)

    @property
    def ephemeral(self) -> bool:
        return bool(self.data["flags"] & EPHEMERAL)

    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"] for c in _walk_components(self.data["components"]) if "custom_id" in c
        ]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # relative to /api/v10 (the full path for requests outside it)
    query: dict[str, str]
    json: Any
    at: float  # time.monotonic()
    status: int
    route: str | None  # the matched route template, None for an unknown route
    code: int | None = None  # Discord error code of an error answer


@dataclass(frozen=True)
class SpecViolation:
    method: str
    path: str
    error: str


class InteractionHandle:
    """An interaction sent to the bot: its callbacks, original response and follow-ups."""

    def __init__(self, emulator: DiscordEmulator, payload: JSON) -> None:
        self._emu = emulator
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.channel_id = int(payload["channel_id"])
        self.dispatched_at = time.monotonic()
        self.attempts: list[JSON] = []  # every callback body received, accepted or not
        self.callback: JSON | None = None  # the accepted (first) callback body
        self.latency: float | None = None  # seconds from dispatch to the accepted callback
        self.expired = False  # a callback came after the deadline
        self.original_message_id: int | None = None
        self.followup_ids: list[int] = []
        self._first: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()

    @property
    def acknowledged(self) -> bool:
        return self.callback is not None

    async def response(self, timeout: float = 3.0) -> JSON:  # noqa: ASYNC109
        """The first accepted callback, ``{"type": 4/5/6/7/8/9, "data": ...}``."""
        return await asyncio.wait_for(asyncio.shield(self._first), timeout)

    @property
    def original(self) -> StoredMessage | None:
        mid = self.original_message_id
        return None if mid is None else self._emu.message_by_id(mid)

    @property
    def followups(self) -> list[StoredMessage]:
        return [m for mid in self.followup_ids if (m := self._emu.message_by_id(mid))]

    def _accept(self, body: JSON) -> None:
        self.callback = body
        self.latency = time.monotonic() - self.dispatched_at
        if not self._first.done():
            self._first.set_result(body)


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        super().__init__(message or ERRORS.get(code, "Error"))
        self.status, self.code = status, code


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    code: int | None = None

    @classmethod
    def error(cls, status: int, code: int, message: str | None = None) -> _Reply:
        default = ERRORS.get(code) or f"{status}: {HTTPStatus(status).phrase}"
        body: JSON = {"message": message or default, "code": code}
        if code == 50035:
            body["errors"] = {}
        return cls(status, body, code=code)

    def to_response(self) -> web.Response:
        if self.body is None:
            return web.Response(status=self.status, headers=self.headers)
        # Exactly "application/json": discord.py parses nothing else (no "; charset=").
        headers = {"Content-Type": "application/json", **self.headers}
        return web.Response(
            status=self.status, body=json.dumps(self.body).encode(), headers=headers
        )


@dataclass
class _Call:
    method: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    files: list[JSON]


@dataclass
class _Route:
    method: str
    template: str
    handler: Callable[[_Call], _Reply]
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        escaped = re.escape(self.template)  # "{name}" becomes "\\{name\\}"
        self.regex = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", escaped))


@dataclass
class _RateRule:
    limit: int
    window: float
    send_headers: bool
    windows: dict[str, tuple[float, int]] = field(
        default_factory=dict
    )  # major param -> start, count


@dataclass
class _FailRule:
    method: str
    pattern: re.Pattern[str]
    times: int
    status: int
    code: int
    message: str | None
    retry_after: float


@dataclass(eq=False)
class _Conn:
    ws: web.WebSocketResponse
    seq: int = 0
    session_id: str | None = None
    ready: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _Guild:
    spec: GuildSpec
    roles: dict[int, RoleSpec]
    members: dict[int, MemberSpec]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _walk_components(components: Sequence[JSON]) -> list[JSON]:
    out: list[JSON] = []
    for c in components:
        out.append(c)
        out.extend(_walk_components(c.get("components", [])))
        for key in ("component", "accessory"):
            if isinstance(c.get(key), dict):
                out.extend(_walk_components([c[key]]))
    return out


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    raise TypeError(f"cannot infer an option type for {value!r}: pass Opt(type, value)")


def _too_many_requests(retry_after: float, limit: int, bucket: str | None) -> _Reply:
    headers = {
        "Via": "1.1 google",  # without it discord.py takes a 429 for a Cloudflare ban
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Scope": "user",
    }
    if bucket:
        headers["X-RateLimit-Bucket"] = bucket
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": False,
    }
    return _Reply(429, body, headers, code=None)


# --- optional OpenAPI validation ------------------------------------------------------------


def _stringify_allowed_mentions(body: Any) -> bool:
    """Turn integer ids in a message body's ``allowed_mentions`` (top level, or in an
    interaction callback's ``data``) into strings, in place. True if any was changed."""
    if not isinstance(body, dict):
        return False
    changed = False
    for holder in (body, body.get("data")):
        allowed = holder.get("allowed_mentions") if isinstance(holder, dict) else None
        if not isinstance(allowed, dict):
            continue
        for key in ("users", "roles"):
            ids = allowed.get(key)
            if isinstance(ids, list) and any(isinstance(i, int) for i in ids):
                allowed[key] = [str(i) if isinstance(i, int) else i for i in ids]
                changed = True
    return changed


# Discord's OpenAPI description, vendored from github.com/discord/discord-api-spec.
VENDORED_SPEC = Path(__file__).resolve().parent / "discord_api_spec" / "openapi.json"


def _spec_path() -> Path:
    """``DISCORD_OPENAPI_SPEC`` if set, else the vendored spec; raise if the file is missing."""
    env = os.environ.get("DISCORD_OPENAPI_SPEC")
    path = Path(env) if env else VENDORED_SPEC
    if not path.is_file():
        where = "DISCORD_OPENAPI_SPEC names" if env else "the vendored spec should be at"
        raise RuntimeError(
            f"Discord's OpenAPI spec is missing: {where} {path}, which is not a file. "
            "The emulator validates every request against it and does not run without it."
        )
    return path


@functools.cache
def _load_openapi(path: str) -> Any:
    try:
        from openapi_core import Config, OpenAPI  # noqa: PLC0415 - imported when first needed
    except ImportError as exc:
        raise RuntimeError(
            "openapi-core is not installed, so the emulator cannot validate requests against "
            "Discord's OpenAPI spec; install the test extras: pip install -e '.[test]'."
        ) from exc

    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def _validate(
    openapi: Any, method: str, path: str, query: Mapping[str, str], body: bytes
) -> str | None:
    """Validate one request against Discord's spec; the error text, or None when valid."""
    from multidict import CIMultiDict, MultiDict  # noqa: PLC0415
    from openapi_core.datatypes import RequestParameters  # noqa: PLC0415
    from openapi_core.exceptions import OpenAPIError  # noqa: PLC0415

    class _Request:
        host_url = "https://discord.com"
        content_type = "application/json"

        def __init__(self) -> None:
            self.method = method.lower()
            self.path = API_PREFIX + path
            self.body = body
            self.parameters = RequestParameters(
                query=MultiDict(query),
                header=CIMultiDict(
                    {"Authorization": "Bot emulator", "Content-Type": "application/json"}
                ),
                cookie=MultiDict(),
            )

    try:
        openapi.validate_request(_Request())
    except OpenAPIError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        return f"{type(exc).__name__}: {exc}{cause}"
    return None


# --- the emulator -----------------------------------------------------------------------------


class DiscordEmulator:
    def __init__(
        self,
        guilds: Sequence[GuildSpec] | None = None,
        *,
        application_id: int = APPLICATION_ID,
        bot_user_id: int | None = None,
        bot_name: str = "AuctionBot",
        heartbeat_interval_ms: int = 41_250,
        interaction_timeout: float = 3.0,
        token_lifetime: float = 15 * 60,
        validate_spec: bool = True,
    ) -> None:
        self.application_id = application_id
        self.bot_user_id = bot_user_id or application_id
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_timeout = interaction_timeout  # seconds to the first callback
        self.token_lifetime = token_lifetime  # seconds follow-ups and edits stay allowed
        self.base_url = ""
        self.gateway_url = ""
        self.spec_violations: list[SpecViolation] = []
        self.identifies: list[JSON] = []  # every IDENTIFY payload received
        self.interactions: list[InteractionHandle] = []

        self._ids = itertools.count()
        self._bot = MemberSpec(self.bot_user_id, bot_name, bot=True)
        self._guilds: dict[int, _Guild] = {}
        self._users: dict[int, JSON] = {self.bot_user_id: self._user_object(self._bot)}
        self._channels: dict[int, JSON] = {}
        self._channel_guild: dict[int, int] = {}
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self._dms_closed: set[int] = set()
        for spec in guilds if guilds is not None else default_world():
            self._add_guild(spec)

        self._messages: dict[int, StoredMessage] = {}
        self._deleted_channels: dict[int, JSON] = {}  # channel id -> its last state
        self._nonces: dict[tuple[int, str], int] = {}
        self._commands: dict[int | None, list[JSON]] = {}  # guild id (None: global) -> commands
        self._command_ids: dict[tuple[int | None, str], int] = {}
        self._by_id: dict[int, InteractionHandle] = {}
        self._by_token: dict[str, InteractionHandle] = {}
        self._modals: dict[str, JSON] = {}  # custom_id -> modal the bot opened
        self._requests: list[RecordedRequest] = []
        # Called with each request once handled, before its answer goes back: a test can act
        # at that exact moment (e.g. kill the bot after Discord took a message, before the
        # bot hears so).
        self.request_hooks: list[Callable[[RecordedRequest], None]] = []
        self._rate_rules: dict[tuple[str, str], _RateRule] = {}
        self._fail_rules: list[_FailRule] = []
        self._conns: set[_Conn] = set()
        self._sessions: set[str] = set()
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

        # TCP connections the bot opened (HTTP and gateway), each counted once.
        self.connections_opened = 0
        self._transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        # Validation is on unless a caller turns it off; a missing spec or openapi-core raises.
        self.spec_validation_enabled = validate_spec
        self._openapi: Any = _load_openapi(str(_spec_path())) if validate_spec else None
        self._validator: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    # --- lifecycle ---

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle_http)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        if self.spec_validation_enabled:
            self._validator = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="spec-validation"
            )

    async def stop(self) -> None:
        await self.drop_connections(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.flush_validation()
        if self._validator is not None:
            self._validator.shutdown(wait=True)
            self._validator = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- world ---

    def _add_guild(self, spec: GuildSpec) -> None:
        roles = {spec.id: RoleSpec(spec.id, "@everyone", spec.everyone_permissions, position=0)}
        roles.update({r.id: r for r in spec.roles})
        members = {m.user_id: m for m in spec.members}
        members.setdefault(self.bot_user_id, self._bot)
        self._guilds[spec.id] = _Guild(spec, roles, members)
        for m in members.values():
            self._users.setdefault(m.user_id, self._user_object(m))
            if not m.dms_open:
                self._dms_closed.add(m.user_id)
        for position, ch in enumerate(spec.channels):
            self._channel_guild[ch.id] = spec.id
            self._channels[ch.id] = {
                "id": str(ch.id),
                "type": 0,
                "guild_id": str(spec.id),
                "name": ch.name,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
                "last_message_id": None,
                "flags": 0,
            }

    def _default_channel(self) -> int:
        """The first text channel of the first guild (#auctions in the default world)."""
        return next(iter(self._channel_guild))

    def _next_id(self) -> int:
        """A snowflake: milliseconds since Discord's epoch, then a counter."""
        return ((int(time.time() * 1000) - 1_420_070_400_000) << 22) | (next(self._ids) & 0x3FFFFF)

    @staticmethod
    def _user_object(m: MemberSpec) -> JSON:
        user: JSON = {
            "id": str(m.user_id),
            "username": m.username,
            "global_name": m.global_name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if m.bot:
            user["bot"] = True
        return user

    def _member_object(self, guild: _Guild, user_id: int) -> JSON:
        m = guild.members[user_id]
        return {
            "user": self._users[user_id],
            "roles": [str(r) for r in m.role_ids],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def permissions(self, guild_id: int, user_id: int) -> int:
        """A member's guild permissions: @everyone plus their roles; everything for owner/admin."""
        guild = self._guilds[guild_id]
        if user_id == guild.spec.owner_id:
            return ALL_PERMISSIONS
        perms = int(guild.roles[guild_id].permissions)
        for role_id in guild.members[user_id].role_ids:
            perms |= int(guild.roles[role_id].permissions)
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def _role_object(self, role: RoleSpec) -> JSON:
        return {
            "id": str(role.id),
            "name": role.name,
            "permissions": role.permissions,
            "position": role.position,
            "color": 0,
            "colors": {"primary_color": 0},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _guild_create(self, guild: _Guild) -> JSON:
        spec = guild.spec
        return {
            "id": str(spec.id),
            "name": spec.name,
            "owner_id": str(spec.owner_id),
            "icon": None,
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": "2024-01-01T00:00:00+00:00",
            "roles": [self._role_object(r) for r in guild.roles.values()],
            "channels": [self._channels[c.id] for c in spec.channels if c.id in self._channels],
            "members": [self._member_object(guild, uid) for uid in guild.members],
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "system_channel_id": None,
            "description": None,
            "banner": None,
            "splash": None,
            "application_id": None,
        }

    def channel_id(self, name: str, guild_id: int | None = None) -> int:
        """The id of the guild text channel called ``name``."""
        for cid, ch in self._channels.items():
            if ch.get("name") == name and (
                guild_id is None or self._channel_guild[cid] == guild_id
            ):
                return cid
        raise KeyError(name)

    def set_dms_open(self, user_id: int, is_open: bool) -> None:
        """Closed DMs make sends to the user's DM channel fail with 403, code 50007."""
        (self._dms_closed.discard if is_open else self._dms_closed.add)(user_id)

    def dm_channel_id(self, user_id: int) -> int:
        """The bot's DM channel with a user (created if needed), e.g. for DM interactions."""
        return int(self._dm_channel(user_id)["id"])

    def _dm_channel(self, user_id: int) -> JSON:
        cid = self._dm_channels.get(user_id)
        if cid is None:
            cid = self._dm_channels[user_id] = self._next_id()
            self._channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self._users[user_id]],
            }
        return self._channels[cid]

    # --- state for assertions ---

    def message_by_id(self, message_id: int) -> StoredMessage | None:
        return self._messages.get(message_id)

    def channel_messages(
        self, channel_id: int, *, include_deleted: bool = False, include_ephemeral: bool = False
    ) -> list[StoredMessage]:
        """Messages in a channel, oldest first, each in its current (edited) state."""
        return [
            m
            for m in self._messages.values()
            if m.channel_id == channel_id
            and (include_deleted or not m.deleted)
            and (include_ephemeral or not m.ephemeral)
        ]

    def dm_messages(self, user_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        cid = self._dm_channels.get(user_id)
        return [] if cid is None else self.channel_messages(cid, include_deleted=include_deleted)

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests; ``path`` is a regex matched at the start (a plain prefix works)."""
        return [
            r
            for r in self._requests
            if (method is None or r.method == method.upper())
            and (path is None or re.match(path, r.path))
        ]

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        return [r for r in self._requests if r.route is None]

    def rate_limited(self) -> list[RecordedRequest]:
        """Every request answered 429."""
        return [r for r in self._requests if r.status == 429]

    def unrecovered_rate_limits(self) -> list[RecordedRequest]:
        """429s not followed by a successful request with the same method and path."""
        out = []
        for i, r in enumerate(self._requests):
            if r.status == 429 and not any(
                later.method == r.method and later.path == r.path and 200 <= later.status < 300
                for later in self._requests[i + 1 :]
            ):
                out.append(r)
        return out

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The registered (synced) commands, global when ``guild_id`` is None."""
        return self._commands.get(guild_id, [])

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 20.0,  # noqa: ASYNC109
        interval: float = 0.01,
    ) -> Any:
        """Poll ``predicate`` until it returns something truthy, and return that."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s: {predicate}")
            await asyncio.sleep(interval)

    @property
    def connected_bots(self) -> int:
        """Gateway connections that identified (or resumed) and are still open."""
        return sum(1 for c in self._conns if c.ready)

    async def wait_for_bot(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a bot has identified and been sent its guilds."""
        await self.wait_for(lambda: any(c.ready for c in self._conns), timeout)

    async def flush_validation(self) -> None:
        """Wait for the spec validations still queued (they run after responding)."""
        pending, self._pending = self._pending, []
        for fut in pending:
            await asyncio.wrap_future(fut)

    # --- failure injection ---

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        times: int = 1,
        status: int = 500,
        code: int = 0,
        message: str | None = None,
        retry_after: float = 0.2,
    ) -> None:
        """Answer the next ``times`` requests whose path fully matches the regex ``path``
        (relative to /api/v10) with ``status``/``code``. A 429 is a proper Discord 429."""
        rule = _FailRule(
            method.upper(), re.compile(path), times, status, code, message, retry_after
        )
        self._fail_rules.append(rule)

    def set_rate_limit(
        self, method: str, route: str, *, limit: int, window: float = 5.0, send_headers: bool = True
    ) -> None:
        """Allow ``limit`` requests per ``window`` seconds on a route template such as
        ``/channels/{channel_id}/messages``, per major parameter (channel, webhook, guild).
        With ``send_headers`` successful answers carry X-RateLimit-* headers, which discord.py
        uses to wait pre-emptively; without them the bot only learns from 429s."""
        if not any(r.method == method.upper() and r.template == route for r in self._routes):
            raise ValueError(f"no such route: {method} {route}")
        self._rate_rules[(method.upper(), route)] = _RateRule(limit, window, send_headers)

    def clear_rate_limits(self) -> None:
        self._rate_rules.clear()

    def delete_message(self, message_id: int) -> None:
        """Delete a message, as a moderator would: later edits and fetches get 404, code 10008."""
        self._messages[message_id].deleted = True

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a guild text channel, as an admin would: connected bots get CHANNEL_DELETE,
        and every later request on the channel (its messages too) gets 404, code 10003."""
        self.forget_channel(channel_id)
        await self.dispatch("CHANNEL_DELETE", self._deleted_channels[channel_id])

    def forget_channel(self, channel_id: int) -> None:
        """The REST half of ``delete_channel``, for a request hook (which cannot await): the
        channel is gone from here on; ``delete_channel`` later also tells the gateway."""
        if channel_id not in self._deleted_channels:
            self._deleted_channels[channel_id] = self._channels.pop(channel_id)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection (4000 lets discord.py resume)."""
        for conn in list(self._conns):
            conn.ready = False
            try:
                await asyncio.wait_for(conn.ws.close(code=code), 2.0)
            except (TimeoutError, ConnectionError):
                log.debug("gateway connection did not close cleanly")

    # --- gateway ---

    def _count_connection(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None and transport not in self._transports:
            self._transports.add(transport)
            self.connections_opened += 1

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        self._count_connection(request)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws)
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

    async def _send(self, conn: _Conn, payload: JSON) -> None:
        async with conn.lock:
            if payload.get("op") == 0:
                conn.seq += 1
                payload["s"] = conn.seq
            else:
                payload.setdefault("s", None)
                payload.setdefault("t", None)
            await conn.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, conn: _Conn, event: str, data: JSON) -> None:
        await self._send(conn, {"op": 0, "t": event, "d": data})

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send a gateway event to every connected bot; the number of bots reached."""
        conns = [c for c in self._conns if c.ready]
        reached = 0
        for conn in conns:
            try:
                await self._dispatch_to(conn, event, data)
                reached += 1
            except ConnectionError:
                conn.ready = False
        return reached

    async def _on_gateway_message(self, conn: _Conn, msg: Any) -> None:
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
                await self._dispatch_to(conn, "RESUMED", {})
            else:
                await self._send(conn, {"op": 9, "d": False})
        elif op == 8:  # request guild members
            await self._members_chunk(conn, d)

    async def _identify(self, conn: _Conn, d: JSON) -> None:
        self.identifies.append(d)
        conn.session_id = secrets.token_hex(16)
        self._sessions.add(conn.session_id)
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
                "shard": d.get("shard", [0, 1]),
                "guilds": [{"id": str(g), "unavailable": True} for g in self._guilds],
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
            },
        )
        for guild in self._guilds.values():
            await self._dispatch_to(conn, "GUILD_CREATE", self._guild_create(guild))
        conn.ready = True

    async def _members_chunk(self, conn: _Conn, d: JSON) -> None:
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

    # --- interactions: payload builders ---

    async def send_interaction(self, payload: JSON) -> InteractionHandle:
        """Dispatch INTERACTION_CREATE to the connected bot(s)."""
        handle = InteractionHandle(self, payload)
        self._by_id[handle.id] = handle
        self._by_token[handle.token] = handle
        self.interactions.append(handle)
        if not await self.dispatch("INTERACTION_CREATE", payload):
            raise RuntimeError("no bot is connected to the emulator's gateway")
        return handle

    def _interaction(
        self,
        itype: int,
        user_id: int,
        channel_id: int | None,
        data: JSON,
        message: JSON | None = None,
    ) -> JSON:
        if channel_id is None:
            channel_id = self._default_channel()
        guild_id = self._channel_guild.get(channel_id)
        payload: JSON = {
            "id": str(self._next_id()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": f"itok-{secrets.token_urlsafe(24)}",
            "version": 1,
            "data": data,
            "channel_id": str(channel_id),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild_id is None:  # a DM with the bot
            channel = self._channels.get(channel_id)
            if channel is None or channel["type"] != 1:
                raise ValueError(f"unknown channel {channel_id}")
            payload.update(
                user=self._users[user_id],
                channel=channel,
                context=1,
                authorizing_integration_owners={"0": "0"},
                app_permissions=str(EVERYONE_PERMISSIONS),
            )
        else:
            perms = self.permissions(guild_id, user_id)
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": str(guild_id)},
                member={
                    **self._member_object(self._guilds[guild_id], user_id),
                    "permissions": str(perms),
                },
                channel={**self._channels[channel_id], "permissions": str(perms)},
                app_permissions=str(self.permissions(guild_id, self.bot_user_id)),
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    def _resolve(
        self, resolved: JSON, guild_id: int | None, user_id: int, opt_type: int, value: int
    ) -> None:
        """Add an option's user, member, role or channel to ``data.resolved``, as Discord does."""
        if opt_type in (USER, MENTIONABLE) and value in self._users:
            resolved.setdefault("users", {})[str(value)] = self._users[value]
            guild = self._guilds.get(guild_id or 0)
            if guild and value in guild.members:
                member = self._member_object(guild, value)
                del member["user"]
                member["permissions"] = str(self.permissions(guild.spec.id, value))
                resolved.setdefault("members", {})[str(value)] = member
        elif opt_type in (ROLE, MENTIONABLE) and guild_id and value in self._guilds[guild_id].roles:
            role = self._role_object(self._guilds[guild_id].roles[value])
            resolved.setdefault("roles", {})[str(value)] = role
        elif opt_type == CHANNEL and value in self._channels:
            ch = self._channels[value]
            resolved.setdefault("channels", {})[str(value)] = {
                k: ch[k]
                for k in ("id", "type", "name", "guild_id", "parent_id", "flags")
                if k in ch
            } | {"permissions": str(self.permissions(guild_id, user_id) if guild_id else 0)}

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        subcommand: str | None,
        *,
        user_id: int,
        channel_id: int | None,
        focused: str | None = None,
        guild_command: bool | None = None,
    ) -> JSON:
        guild_id = self._channel_guild.get(channel_id or self._default_channel())
        resolved: JSON = {}
        opts: list[JSON] = []
        for opt_name, raw in (options or {}).items():
            opt = raw if isinstance(raw, Opt) else Opt(_infer_option_type(raw), raw)
            value = opt.value
            if opt.type in (USER, CHANNEL, ROLE, MENTIONABLE):
                self._resolve(resolved, guild_id, user_id, opt.type, int(value))
                value = str(value)
            entry: JSON = {"type": opt.type, "name": opt_name, "value": value}
            if opt_name == focused:
                entry["focused"] = True
            opts.append(entry)
        *group, sub = (subcommand or "").split() or [""]
        if sub:
            opts = [{"type": SUB_COMMAND, "name": sub, "options": opts}]
        if group:
            opts = [{"type": SUB_COMMAND_GROUP, "name": group[0], "options": opts}]
        if guild_command is None:
            guild_command = (guild_id, name) in self._command_ids
        key = (guild_id if guild_command else None, name)
        cmd_id = self._command_ids.get(key) or self._next_id()
        data: JSON = {"id": str(cmd_id), "name": name, "type": 1, "options": opts}
        if guild_command and guild_id:
            data["guild_id"] = str(guild_id)
        if resolved:
            data["resolved"] = resolved
        return data

    def slash(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
        subcommand: str | None = None,
        *,
        channel_id: int | None = None,
        guild_command: bool | None = None,
    ) -> JSON:
        """A chat-input command. Option types follow the Python value (str 3, bool 5, int 4,
        float 10); use ``Opt(USER, id)`` etc. for users, channels, roles. ``subcommand`` is
        ``"sub"`` or ``"group sub"``. ``guild_command`` (default: whether the command was synced
        to this guild) adds ``data.guild_id``, which discord.py needs to find guild commands."""
        data = self._command_data(
            name,
            options,
            subcommand,
            user_id=user_id,
            channel_id=channel_id,
            guild_command=guild_command,
        )
        return self._interaction(APPLICATION_COMMAND, user_id, channel_id, data)

    def autocomplete(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        subcommand: str | None = None,
        *,
        channel_id: int | None = None,
        guild_command: bool | None = None,
    ) -> JSON:
        data = self._command_data(
            name,
            options,
            subcommand,
            user_id=user_id,
            channel_id=channel_id,
            focused=focused,
            guild_command=guild_command,
        )
        return self._interaction(AUTOCOMPLETE, user_id, channel_id, data)

    def click(
        self,
        user_id: int,
        message: StoredMessage | JSON | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> JSON:
        """A click on a button (or a choice in a select menu when ``values`` is given) of a
        stored message; the payload carries the message with its components, as Discord's does."""
        if isinstance(message, int):
            stored = self.message_by_id(message)
            if stored is None:
                raise KeyError(message)
            message = stored
        msg = message.data if isinstance(message, StoredMessage) else message
        component = next(
            (c for c in _walk_components(msg["components"]) if c.get("custom_id") == custom_id),
            None,
        )
        if component is None:
            raise ValueError(f"message {msg['id']} has no component {custom_id!r}")
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        return self._interaction(MESSAGE_COMPONENT, user_id, int(msg["channel_id"]), data, msg)

    def modal_submit(
        self,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str],
        message: StoredMessage | JSON | None = None,
        *,
        channel_id: int | None = None,
    ) -> JSON:
        """A modal submission. The components mirror the layout of the modal the bot opened
        (action rows, or labels of type 18); text inputs are rows when the modal is unknown."""
        msg = message.data if isinstance(message, StoredMessage) else message
        if msg is not None and channel_id is None:
            channel_id = int(msg["channel_id"])
        modal = self._modals.get(custom_id)
        components = (
            self._submitted(modal["components"], values)
            if modal
            else [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                for k, v in values.items()
            ]
        )
        data = {"custom_id": custom_id, "components": components}
        return self._interaction(MODAL_SUBMIT, user_id, channel_id, data, msg)

    def _submitted(self, components: list[JSON], values: Mapping[str, str]) -> list[JSON]:
        out: list[JSON] = []
        for c in components:
            if c["type"] == 1:
                out.append({"type": 1, "components": self._submitted(c["components"], values)})
            elif c["type"] == 18:
                out.append(
                    {
                        "type": 18,
                        "id": c.get("id", 0),
                        "component": self._submitted([c["component"]], values)[0],
                    }
                )
            elif c["type"] == 4:
                out.append(
                    {
                        "type": 4,
                        "id": c.get("id", 0),
                        "custom_id": c["custom_id"],
                        "value": values.get(c["custom_id"], ""),
                    }
                )
            elif "custom_id" in c:
                out.append(
                    {
                        "type": c["type"],
                        "custom_id": c["custom_id"],
                        "values": list(values.get(c["custom_id"], [])),
                    }
                )
        return out

    # --- HTTP plumbing ---

    def _build_routes(self) -> list[_Route]:
        app = "/applications/{application_id}"
        hook = "/webhooks/{application_id}/{interaction_token}"
        msgs = "/channels/{channel_id}/messages"
        table: list[tuple[str, str, Callable[[_Call], _Reply]]] = [
            ("GET", "/users/@me", lambda c: _Reply(200, self._users[self.bot_user_id])),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", lambda c: _Reply(200, {"url": self.gateway_url})),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", f"{app}/commands", self._get_commands),
            ("PUT", f"{app}/commands", self._put_commands),
            ("GET", f"{app}/guilds/{{guild_id}}/commands", self._get_commands),
            ("PUT", f"{app}/guilds/{{guild_id}}/commands", self._put_commands),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._callback),
            ("POST", hook, self._followup),
            ("GET", f"{hook}/messages/{{message_id}}", self._webhook_message),
            ("PATCH", f"{hook}/messages/{{message_id}}", self._webhook_message),
            ("DELETE", f"{hook}/messages/{{message_id}}", self._webhook_message),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("GET", msgs, self._list_messages),
            ("POST", msgs, self._create_message),
            ("GET", f"{msgs}/{{message_id}}", self._channel_message),
            ("PATCH", f"{msgs}/{{message_id}}", self._channel_message),
            ("DELETE", f"{msgs}/{{message_id}}", self._channel_message),
        ]
        return [_Route(method, template, handler) for method, template, handler in table]

    async def _read_body(self, request: web.Request) -> tuple[Any, list[JSON], bytes]:
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: list[JSON] = []
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader):
                    continue
                content = await part.read()
                if part.name == "payload_json":
                    body = json.loads(content)
                else:
                    files.append({"filename": part.filename or "file", "size": len(content)})
            return body, files, b""
        raw = await request.read()
        return (json.loads(raw) if raw else None), [], raw

    async def _handle_http(self, request: web.Request) -> web.StreamResponse:
        self._count_connection(request)
        method, full_path = request.method, request.path
        path = (
            full_path.removeprefix(API_PREFIX)
            if full_path.startswith(API_PREFIX + "/")
            else full_path
        )
        try:
            body, files, raw = await self._read_body(request)
        except ValueError:
            body, files, raw = None, [], b""
            reply, template = _Reply.error(400, 50109), None
        else:
            reply, template = self._route(
                method, full_path, path, _Call(method, {}, request.query, body, files)
            )
        recorded = RecordedRequest(
            method,
            path,
            dict(request.query),
            body,
            time.monotonic(),
            reply.status,
            template,
            reply.code,
        )
        self._requests.append(recorded)
        for hook in list(self.request_hooks):
            hook(recorded)
        if template is None:
            log.error(
                "DISCORD EMULATOR: unhandled request %s %s (answered %s)",
                method,
                full_path,
                reply.status,
            )
        elif self._validator is not None and not files:
            self._queue_validation(method, path, dict(request.query), body, raw)
        return reply.to_response()

    def _route(
        self, method: str, full_path: str, path: str, call: _Call
    ) -> tuple[_Reply, str | None]:
        if not full_path.startswith(API_PREFIX + "/"):
            return _Reply.error(404, 0), None
        for route in self._routes:
            match = route.regex.fullmatch(path)
            if route.method == method and match:
                call.params = match.groupdict()
                return self._run(route, path, call), route.template
        return _Reply.error(404, 0), None

    def _run(self, route: _Route, path: str, call: _Call) -> _Reply:
        for rule in self._fail_rules:
            if rule.times > 0 and rule.method == route.method and rule.pattern.fullmatch(path):
                rule.times -= 1
                if rule.status == 429:
                    return _too_many_requests(rule.retry_after, 1, None)
                return _Reply.error(rule.status, rule.code, rule.message)
        major = next(
            (
                call.params[k]
                for k in ("channel_id", "interaction_token", "guild_id")
                if k in call.params
            ),
            "",
        )
        limited, headers = self._rate_limit(route, major)
        if limited is not None:
            return limited
        try:
            reply = route.handler(call)
        except _ApiError as exc:
            reply = _Reply.error(exc.status, exc.code, str(exc))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Discord answers a body of the wrong shape with 400 Invalid Form Body.
            log.error("DISCORD EMULATOR: malformed %s %s body: %r", call.method, path, exc)
            reply = _Reply.error(400, 50035)
        reply.headers.update(headers)
        return reply

    def _rate_limit(self, route: _Route, major: str) -> tuple[_Reply | None, dict[str, str]]:
        rule = self._rate_rules.get((route.method, route.template))
        if rule is None:
            return None, {}
        now = time.monotonic()
        start, count = rule.windows.get(major, (now, 0))
        if now - start >= rule.window:
            start, count = now, 0
        reset_after = rule.window - (now - start)
        bucket = hashlib.sha1(f"{route.method} {route.template}".encode()).hexdigest()[:16]
        if count >= rule.limit:
            return _too_many_requests(reset_after, rule.limit, bucket), {}
        rule.windows[major] = (start, count + 1)
        if not rule.send_headers:
            return None, {}
        return None, {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(rule.limit - count - 1),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _queue_validation(
        self, method: str, path: str, query: dict[str, str], body: Any, raw: bytes
    ) -> None:
        assert self._validator is not None
        if (
            path == "/users/@me/channels"
            and isinstance(body, dict)
            and isinstance(body.get("recipient_id"), int)
        ):
            # Known false positive: discord.py sends an integer where the spec says string.
            raw = json.dumps({**body, "recipient_id": str(body["recipient_id"])}).encode()
        elif _stringify_allowed_mentions(copied := copy.deepcopy(body)):
            # The same false positive: discord.py's AllowedMentions sends user and role ids
            # as integers (Discord accepts either). The recorded body keeps the integers.
            raw = json.dumps(copied).encode()

        def run() -> None:
            error = _validate(self._openapi, method, path, query, raw)
            if error is not None:
                log.warning("DISCORD EMULATOR: spec violation %s %s: %s", method, path, error)
                self.spec_violations.append(SpecViolation(method, path, error))

        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._validator.submit(run))

    # --- REST handlers: users, application, gateway, commands ---

    def _get_user(self, call: _Call) -> _Reply:
        user = self._users.get(int(call.params["user_id"]))
        if user is None:
            raise _ApiError(404, 10013)
        return _Reply(200, user)

    def _get_application(self, call: _Call) -> _Reply:
        owner = (
            self._users[next(iter(self._guilds.values())).spec.owner_id]
            if self._guilds
            else self._users[self.bot_user_id]
        )
        return _Reply(
            200,
            {
                "id": str(self.application_id),
                "name": self._users[self.bot_user_id]["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": self._users[self.bot_user_id],
                "rpc_origins": [],
                "install_params": None,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
            },
        )

    def _get_gateway_bot(self, call: _Call) -> _Reply:
        return _Reply(
            200,
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    def _get_commands(self, call: _Call) -> _Reply:
        guild_id = int(call.params["guild_id"]) if "guild_id" in call.params else None
        return _Reply(200, self._commands.get(guild_id, []))

    def _put_commands(self, call: _Call) -> _Reply:
        guild_id = int(call.params["guild_id"]) if "guild_id" in call.params else None
        if call.params["application_id"] != str(self.application_id):
            raise _ApiError(403, 50001, "Missing Access")
        stored = []
        for cmd in call.body or []:
            key = (guild_id, cmd["name"])
            cmd_id = self._command_ids.setdefault(key, self._next_id())
            entry = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                "name_localizations": None,
                "description_localizations": None,
                **cmd,
                "id": str(cmd_id),
                "application_id": str(self.application_id),
                "version": str(self._next_id()),
            }
            if entry["default_member_permissions"] is not None:
                # Sent as a number or a string; Discord answers with the decimal string.
                entry["default_member_permissions"] = str(int(entry["default_member_permissions"]))
            if guild_id is not None:
                entry["guild_id"] = str(guild_id)
            stored.append(entry)
        for key in [
            k
            for k in self._command_ids
            if k[0] == guild_id and k[1] not in {c["name"] for c in stored}
        ]:
            del self._command_ids[key]
        self._commands[guild_id] = stored
        return _Reply(200, stored)

    # --- REST handlers: messages ---

    def _make_message(
        self,
        channel_id: int,
        body: JSON,
        files: list[JSON],
        *,
        handle: InteractionHandle | None = None,
        flags: int = 0,
    ) -> StoredMessage:
        data: JSON = {
            "id": str(self._next_id()),
            "channel_id": str(channel_id),
            "author": self._users[self.bot_user_id],
            "content": "",
            "embeds": [],
            "components": [],
            "attachments": [],
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "pinned": False,
            "type": 0,
            "flags": flags,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
        }
        if "nonce" in body:
            data["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if ref:
            data["type"] = 19
            data["message_reference"] = {"type": 0, "channel_id": str(channel_id), **ref}
            target = self._messages.get(int(ref.get("message_id", 0)))
            data["referenced_message"] = target.data if target and not target.deleted else None
        if handle is not None:
            data["type"] = 20 if handle.type == APPLICATION_COMMAND else data["type"]
            data["webhook_id"] = data["application_id"] = str(self.application_id)
            user = handle.payload.get("member", {}).get("user") or handle.payload.get("user")
            data["interaction_metadata"] = {
                "id": str(handle.id),
                "type": handle.type,
                "user": user,
                "authorizing_integration_owners": handle.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        stored = StoredMessage(
            data,
            allowed_mentions=body.get("allowed_mentions"),
            interaction_id=handle.id if handle else None,
        )
        self._apply(stored, body, files)
        self._messages[stored.id] = stored
        if channel_id in self._channels:  # an interaction's answer in a deleted channel
            self._channels[channel_id]["last_message_id"] = data["id"]
        return stored

    def _apply(self, msg: StoredMessage, body: JSON, files: list[JSON]) -> None:
        """Apply a create or edit body to a message and recompute its mentions."""
        data = msg.data
        for key in ("content", "embeds", "components"):
            if key in body:
                data[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "flags" in body:
            data["flags"] = (body["flags"] or 0) | (data["flags"] & EPHEMERAL)
        if "attachments" in body:  # the attachments to keep
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            data["attachments"] = [a for a in data["attachments"] if a["id"] in keep]
        for f in files:
            url = f"{self.base_url}/attachments/{f['filename']}"
            attachment = {"id": str(self._next_id()), "filename": f["filename"], "size": f["size"]}
            data["attachments"].append({**attachment, "url": url, "proxy_url": url})
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        allowed = msg.allowed_mentions
        parse = (
            ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
        )
        users = {int(u) for u in (allowed or {}).get("users") or []}
        roles = {int(r) for r in (allowed or {}).get("roles") or []}
        content = data["content"]
        user_ids = dict.fromkeys(int(u) for u in re.findall(r"<@!?(\d+)>", content))
        role_ids = dict.fromkeys(int(r) for r in re.findall(r"<@&(\d+)>", content))
        data["mentions"] = [
            self._users[u]
            for u in user_ids
            if u in self._users and ("users" in parse or u in users)
        ]
        data["mention_roles"] = [str(r) for r in role_ids if "roles" in parse or r in roles]
        data["mention_everyone"] = (
            "everyone" in parse and re.search(r"@(everyone|here)\b", content) is not None
        )

    def _edit(self, msg: StoredMessage, body: JSON, files: list[JSON]) -> None:
        msg.history.append(copy.deepcopy(msg.data))
        msg.data["flags"] &= ~LOADING
        self._apply(msg, body, files)
        msg.data["edited_timestamp"] = _now_iso()

    def _channel(self, call: _Call) -> JSON:
        channel = self._channels.get(int(call.params["channel_id"]))
        if channel is None:
            raise _ApiError(404, 10003)
        return channel

    def _message_in(self, channel_id: int, message_id: str) -> StoredMessage:
        msg = self._messages.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or msg.channel_id != channel_id:
            raise _ApiError(404, 10008)
        return msg

    def _get_channel(self, call: _Call) -> _Reply:
        return _Reply(200, self._channel(call))

    def _list_messages(self, call: _Call) -> _Reply:
        channel = self._channel(call)
        limit = int(call.query.get("limit", "50"))
        msgs = [m.data for m in reversed(self.channel_messages(int(channel["id"])))]
        return _Reply(200, msgs[:limit])

    def _create_message(self, call: _Call) -> _Reply:
        channel = self._channel(call)
        channel_id = int(channel["id"])
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self._dms_closed:
            raise _ApiError(403, 50007)
        body: JSON = call.body or {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = self._messages.get(self._nonces.get((channel_id, str(nonce)), 0))
            if existing is not None and not existing.deleted:
                return _Reply(200, existing.data)
        msg = self._make_message(channel_id, body, call.files)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = msg.id
        return _Reply(200, msg.data)

    def _channel_message(self, call: _Call) -> _Reply:
        msg = self._message_in(int(self._channel(call)["id"]), call.params["message_id"])
        return self._message_verb(msg, call)

    def _message_verb(self, msg: StoredMessage, call: _Call) -> _Reply:
        """GET, PATCH or DELETE of a message."""
        if call.method == "DELETE":
            msg.deleted = True
            return _Reply(204)
        if call.method == "PATCH":
            self._edit(msg, call.body or {}, call.files)
        return _Reply(200, msg.data)

    def _open_dm(self, call: _Call) -> _Reply:
        user_id = int((call.body or {}).get("recipient_id", 0))
        if user_id not in self._users:
            raise _ApiError(404, 10013)
        return _Reply(200, self._dm_channel(user_id))

    # --- REST handlers: interaction callbacks and webhooks ---

    def _callback(self, call: _Call) -> _Reply:
        handle = self._by_id.get(int(call.params["interaction_id"]))
        if handle is None or handle.token != call.params["interaction_token"]:
            raise _ApiError(404, 10062)
        body: JSON = call.body or {}
        handle.attempts.append(body)
        if handle.acknowledged:
            raise _ApiError(400, 40060)
        if time.monotonic() - handle.dispatched_at > self.interaction_timeout:
            handle.expired = True
            raise _ApiError(404, 10062)
        cb_type, data = body.get("type"), body.get("data") or {}
        if cb_type == 9 and handle.type == MODAL_SUBMIT:
            raise _ApiError(400, 50035, "Invalid Form Body: a modal submit cannot open a modal")
        message: StoredMessage | None = None
        if cb_type in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if cb_type == 5 else 0)
            message = self._make_message(
                handle.channel_id,
                data if cb_type == 4 else {},
                call.files,
                handle=handle,
                flags=flags,
            )
            handle.original_message_id = message.id
        elif cb_type in (6, 7) and "message" in handle.payload:
            message = self._messages.get(int(handle.payload["message"]["id"]))
            handle.original_message_id = message.id if message else None
            if message is not None and cb_type == 7:
                self._edit(message, data, call.files)
        elif cb_type == 9:
            self._modals[data.get("custom_id", "")] = data
        handle._accept(body)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return _Reply(204)
        interaction: JSON = {"id": str(handle.id), "type": handle.type}
        resource: JSON = {"type": cb_type}
        if message is not None:
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=cb_type == 5,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.data
        return _Reply(200, {"interaction": interaction, "resource": resource})

    def _hook(self, call: _Call) -> InteractionHandle:
        handle = self._by_token.get(call.params["interaction_token"])
        if (
            handle is None
            or call.params["application_id"] != str(self.application_id)
            or not handle.acknowledged
        ):
            raise _ApiError(404, 10015)
        if time.monotonic() - handle.dispatched_at > self.token_lifetime:
            raise _ApiError(401, 50027)
        return handle

    def _followup(self, call: _Call) -> _Reply:
        handle = self._hook(call)
        body: JSON = call.body or {}
        original = handle.original
        if original is not None and original.data["flags"] & LOADING:
            # The first follow-up after a deferred response replaces the "thinking" message.
            self._edit(original, body, call.files)
            msg = original
        else:
            msg = self._make_message(
                handle.channel_id, body, call.files, handle=handle, flags=body.get("flags") or 0
            )
            handle.followup_ids.append(msg.id)
        wait = call.query.get("wait") in ("1", "true", "True")
        return _Reply(200, msg.data) if wait else _Reply(204)

    def _webhook_message(self, call: _Call) -> _Reply:
        handle = self._hook(call)
        mid = call.params["message_id"]
        if mid == "@original":
            mid = str(handle.original_message_id or "")
        if not mid.isdigit() or (
            int(mid) != handle.original_message_id and int(mid) not in handle.followup_ids
        ):
            raise _ApiError(404, 10008)
        msg = self._messages[int(mid)]
        if msg.deleted:
            raise _ApiError(404, 10008)
        return self._message_verb(msg, call)
