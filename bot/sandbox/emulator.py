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

The parts are in their own modules (world.py, records.py, replies.py, openapi_check.py,
base.py, gateway.py, faults.py, interaction_payloads.py, rest/); ``DiscordEmulator`` here is
the last link of their chain: it sets their state, starts and stops the server, routes each
request to its handler (recording it, and validating it against Discord's OpenAPI spec), and
answers a test's questions about what happened.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self

from aiohttp import BodyPartReader, web

from bot.sandbox.base import log
from bot.sandbox.openapi_check import (
    load_openapi,
    spec_path,
    stringify_allowed_mentions,
    stringify_attachment_ids,
    validate,
)
from bot.sandbox.records import RecordedRequest, SpecViolation
from bot.sandbox.replies import API_PREFIX, JSON, ApiError, Call, Reply, Route, UploadedFile
from bot.sandbox.rest.interactions import InteractionRoutes
from bot.sandbox.world import APPLICATION_ID, GuildSpec, MemberSpec, default_world


def _uploaded(part: BodyPartReader, content: bytes, position: int) -> UploadedFile:
    """A ``files[n]`` part; a part named otherwise (``file``) counts by its position."""
    match = re.fullmatch(r"files\[(\d+)\]", part.name or "")
    index = int(match.group(1)) if match else position
    content_type = part.headers.get("Content-Type")
    return UploadedFile(index, part.filename or "file", content, content_type)


class DiscordEmulator(InteractionRoutes):
    """Discord's REST API and gateway on 127.0.0.1, for one bot (see the module docstring)."""

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
        self.identifies = []  # every IDENTIFY payload received
        self.interactions = []

        self._ids = itertools.count()
        self._bot = MemberSpec(self.bot_user_id, bot_name, bot=True)
        self._guilds = {}
        self._users = {self.bot_user_id: self._user_object(self._bot)}
        self._channels = {}
        self._channel_guild = {}
        self._dm_channels = {}  # user id -> DM channel id
        self._dms_closed = set()
        for spec in guilds if guilds is not None else default_world():
            self._add_guild(spec)

        self._messages = {}
        self._deleted_channels = {}  # channel id -> its last state
        self._nonces = {}
        self._commands = {}  # guild id (None: global) -> commands
        self._command_ids = {}
        self._by_id = {}
        self._by_token = {}
        self._modals = {}  # custom_id -> modal the bot opened
        self._attachments = {}
        self._requests: list[RecordedRequest] = []
        # Called with each request once handled, before its answer goes back: a test can act
        # at that exact moment (e.g. kill the bot after Discord took a message, before the
        # bot hears so).
        self.request_hooks: list[Callable[[RecordedRequest], None]] = []
        self._rate_rules = {}
        self._fail_rules = []
        self._conns = set()
        self._sessions = {}  # session id -> its shard
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

        # TCP connections the bot opened (HTTP and gateway), each counted once.
        self.connections_opened = 0
        self._transports = weakref.WeakSet()
        # Validation is on unless a caller turns it off; a missing spec or openapi-core raises.
        self.spec_validation_enabled = validate_spec
        self._openapi: Any = load_openapi(str(spec_path())) if validate_spec else None
        self._validator: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    # --- lifecycle ---

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
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

    # --- HTTP plumbing ---

    def _build_routes(self) -> list[Route]:
        app = "/applications/{application_id}"
        hook = "/webhooks/{application_id}/{interaction_token}"
        msgs = "/channels/{channel_id}/messages"
        table: list[tuple[str, str, Callable[[Call], Reply]]] = [
            ("GET", "/users/@me", lambda c: Reply(200, self._users[self.bot_user_id])),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", lambda c: Reply(200, {"url": self.gateway_url})),
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
        return [Route(method, template, handler) for method, template, handler in table]

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile], bytes]:
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: list[UploadedFile] = []
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader):
                    continue
                content = await part.read()
                if part.name == "payload_json":
                    body = json.loads(content)
                else:
                    files.append(_uploaded(part, content, len(files)))
            return body, files, b""
        raw = await request.read()
        return (json.loads(raw) if raw else None), [], raw

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        """Discord's CDN: the bytes of a file uploaded with a command or sent by the bot."""
        self._count_connection(request)
        raw_id = request.match_info["attachment_id"]
        stored = self.attachment(int(raw_id)) if raw_id.isdigit() else None
        if stored is None or stored.filename != request.match_info["filename"]:
            raise web.HTTPNotFound()
        content_type = stored.content_type or "application/octet-stream"
        return web.Response(body=stored.content, headers={"Content-Type": content_type})

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
            reply, template = Reply.error(400, 50109), None
        else:
            reply, template = self._route(
                method, full_path, path, Call(method, {}, request.query, body, files)
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
        elif self._validator is not None and (raw or body is not None):
            # A multipart body is checked by its payload_json, which the spec describes as
            # the JSON body of the same request (the files themselves it does not describe).
            self._queue_validation(method, path, dict(request.query), body, raw or None)
        return reply.to_response()

    def _route(
        self, method: str, full_path: str, path: str, call: Call
    ) -> tuple[Reply, str | None]:
        if not full_path.startswith(API_PREFIX + "/"):
            return Reply.error(404, 0), None
        for route in self._routes:
            match = route.regex.fullmatch(path)
            if route.method == method and match:
                call.params = match.groupdict()
                return self._run(route, path, call), route.template
        return Reply.error(404, 0), None

    def _run(self, route: Route, path: str, call: Call) -> Reply:
        failure = self._injected_failure(route, path)
        if failure is not None:
            return failure
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
        except ApiError as exc:
            reply = Reply.error(exc.status, exc.code, str(exc))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Discord answers a body of the wrong shape with 400 Invalid Form Body.
            log.error("DISCORD EMULATOR: malformed %s %s body: %r", call.method, path, exc)
            reply = Reply.error(400, 50035)
        reply.headers.update(headers)
        return reply

    def _queue_validation(
        self, method: str, path: str, query: dict[str, str], body: Any, raw: bytes | None
    ) -> None:
        """Check a request on the worker thread; ``raw`` is None for a multipart request,
        whose payload_json (``body``) is checked as its JSON body."""
        assert self._validator is not None
        copied = copy.deepcopy(body)
        if (
            path == "/users/@me/channels"
            and isinstance(body, dict)
            and isinstance(body.get("recipient_id"), int)
        ):
            # Known false positive: discord.py sends an integer where the spec says string.
            raw = json.dumps({**body, "recipient_id": str(body["recipient_id"])}).encode()
        # The same false positive: discord.py's AllowedMentions sends user and role ids as
        # integers, and a new file's attachment id (its index) too (Discord accepts either).
        # The recorded body keeps the integers.
        elif stringify_allowed_mentions(copied) | stringify_attachment_ids(copied) | (raw is None):
            raw = json.dumps(copied).encode()
        assert raw is not None

        def run() -> None:
            error = validate(self._openapi, method, path, query, raw)
            if error is not None:
                log.warning("DISCORD EMULATOR: spec violation %s %s: %s", method, path, error)
                self.spec_violations.append(SpecViolation(method, path, error))

        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._validator.submit(run))

    # --- state for assertions ---

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

    @property
    def connected_shards(self) -> list[tuple[int, int]]:
        """The ``(shard id, shard count)`` of every ready gateway connection, sorted (a shard
        twice when two sessions identified as it)."""
        return sorted(c.shard for c in self._conns if c.ready)

    async def wait_for_bot(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a bot has identified and been sent its guilds."""
        await self.wait_for(lambda: any(c.ready for c in self._conns), timeout)

    async def flush_validation(self) -> None:
        """Wait for the spec validations still queued (they run after responding)."""
        pending, self._pending = self._pending, []
        for fut in pending:
            await asyncio.wrap_future(fut)
