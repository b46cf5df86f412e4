"""The sandbox's page: a small Discord-like client in the browser, served on 127.0.0.1.

Everything it shows comes from the loopback Discord, that is from the real bot's requests:
channels and DMs with their messages as the bot last wrote them, the commands the bot
registered, the answers to what the person acting did. The page acts through the same
interactions Discord would send (slash commands, autocomplete, clicks, dialogs) and is told
of every change by server-sent events, then reads the state again. A file chosen for a
command's attachment option comes base64 in the JSON body and is uploaded to the loopback
Discord as a member's client would; the files the bot sent are offered as downloads.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import json
import math
import mimetypes
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import web

from bot.sandbox import (
    CHANNEL,
    GUILD_ID,
    ROLE,
    USER,
    DiscordEmulator,
    Opt,
    RecordedRequest,
    StoredMessage,
)
from bot.sandbox.replies import JSON
from bot.sandbox.scene import CHANNELS, PEOPLE, ROLES, SERVER_NAME, person
from bot.sandbox.world import (
    ATTACHMENT,
    BOOLEAN,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
)

ANSWER_TIMEOUT = 3.5  # Discord's 3 s for the bot's first answer, and a little for the trip
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATIC = ("index.html", "app.js", "style.css")
_CONTENT_TYPES = {"html": "text/html", "js": "text/javascript", "css": "text/css"}
# A file the page uploads: Discord takes far larger ones, but the sandbox's are samples.
MAX_UPLOAD = 1024 * 1024
_MAX_BASE64 = 4 * math.ceil(MAX_UPLOAD / 3)
# Names a person would give a file: no path, no control characters, no hidden dot-files.
_FILENAME = re.compile(r"[\w()\-][\w .()\-]{0,99}")
_CONTENT_TYPE = re.compile(r"[\w.+\-]{1,60}/[\w.+\-]{1,100}", re.ASCII)


class BadInput(ValueError):
    """What the person typed cannot be sent; the message says what would be right."""


@dataclass(frozen=True)
class Upload:
    """A file chosen for an attachment option, checked and decoded."""

    filename: str
    content: bytes = field(repr=False)
    content_type: str


def uploads(body: JSON) -> dict[str, Upload]:
    """The body's ``attachments``: each file option's name -> ``{filename, content_type?,
    data}`` with the bytes in base64, checked strictly as the rest of the body is."""
    raw = body.get("attachments")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadInput("attachments must map each file option's name to a file.")
    return {str(name): _upload(str(name), value) for name, value in raw.items()}


def _upload(name: str, value: Any) -> Upload:
    if not isinstance(value, dict) or not {"filename", "data"} <= set(value) <= {
        "filename",
        "content_type",
        "data",
    }:
        raise BadInput(f"{name} must be a file: its filename, content_type and data in base64.")
    filename = value["filename"]
    if not isinstance(filename, str) or not _FILENAME.fullmatch(filename):
        raise BadInput(
            f"{name}: a file name is 1 to 100 letters, digits, spaces, dots, dashes, "
            "underscores or brackets, and starts with neither a dot nor a space."
        )
    content_type = value.get("content_type") or mimetypes.guess_type(filename)[0]
    if content_type is None:
        content_type = "application/octet-stream"
    elif not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        raise BadInput(f"{name}: the file's content_type must look like text/csv.")
    data = value["data"]
    if not isinstance(data, str):
        raise BadInput(f"{name}: the file's data must be base64 text.")
    if len(data) > _MAX_BASE64:  # checked before decoding anything
        raise BadInput(f"{name}: {filename} is over 1 MiB, the most the sandbox takes.")
    try:
        content = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise BadInput(f"{name}: the file's data is not valid base64.") from None
    if len(content) > MAX_UPLOAD:
        raise BadInput(f"{name}: {filename} is over 1 MiB, the most the sandbox takes.")
    if not content:
        raise BadInput(f"{name}: {filename} is empty.")
    return Upload(filename, content, content_type)


def option_defs(command: JSON, subcommand: str | None) -> list[JSON]:
    """The options of ``command`` (or of its ``"sub"`` / ``"group sub"``) as registered."""
    options: list[JSON] = command.get("options") or []
    for part in (subcommand or "").split():
        found = next(
            (
                o
                for o in options
                if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ),
            None,
        )
        if found is None:
            raise BadInput(f"/{command['name']} has no subcommand {part!r}.")
        options = found.get("options") or []
    subs = [o["name"] for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs:  # Discord runs only a leaf: a command with subcommands needs one named
        usage = " ".join(["/" + command["name"], *(subcommand or "").split()])
        raise BadInput(f"{usage} needs a subcommand: {', '.join(subs)}.")
    return options


def typed_options(
    defs: list[JSON],
    raw: Mapping[str, Any],
    *,
    focused: str | None = None,
    files: Mapping[str, Upload] | None = None,
) -> dict[str, Any]:
    """The typed values of what was typed, checked as Discord's client checks them before it
    sends anything: required options, whole numbers, ranges, lengths, choices; a file
    option's value is its ``Upload`` from ``files``."""
    out: dict[str, Any] = {}
    files = files or {}
    known = {d["name"]: d for d in defs}
    for name in [*raw, *files]:
        if name not in known:
            raise BadInput(f"There is no option {name!r}; the options are {', '.join(known)}.")
    for name in files:
        if known[name]["type"] != ATTACHMENT:
            raise BadInput(f"{name} is not a file option: type its value instead.")
    for d in defs:
        name, kind = d["name"], d["type"]
        value = raw.get(name)
        text = "" if value is None else str(value).strip()
        if kind == ATTACHMENT:
            _attach(out, d, text, files, completing=focused is not None)
        elif name == focused:  # autocomplete sends what is typed so far, unchecked
            out[name] = text if kind == STRING else (text or "0")
        elif focused is not None:  # and the other options only where they are valid
            with contextlib.suppress(BadInput):
                if text:
                    out[name] = _typed(d, text)
        elif text:
            out[name] = _typed(d, text)
        elif d.get("required"):
            raise BadInput(f"{name} is required.")
    return out


def _attach(
    out: dict[str, Any], d: JSON, text: str, files: Mapping[str, Upload], *, completing: bool
) -> None:
    """A file option: its upload, which autocomplete leaves out as Discord's client does."""
    name = d["name"]
    if text:
        raise BadInput(f"{name} must be a file, chosen with its field.")
    if completing:
        return
    if name in files:
        out[name] = files[name]
    elif d.get("required"):
        raise BadInput(f"{name} is required.")


def _typed(d: JSON, text: str) -> Any:
    name, kind = d["name"], d["type"]
    if kind in (INTEGER, NUMBER):
        try:
            number: int | float = int(text) if kind == INTEGER else float(text)
        except ValueError:
            what = "a whole number" if kind == INTEGER else "a number"
            raise BadInput(f"{name} must be {what}, not {text!r}.") from None
        low, high = d.get("min_value"), d.get("max_value")
        if (low is not None and number < low) or (high is not None and number > high):
            raise BadInput(f"{name} must be between {low} and {high}.")
        value: Any = number
    elif kind == BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise BadInput(f"{name} must be True or False.")
        value = text.lower() == "true"
    elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        if not text.isdigit():
            raise BadInput(f"{name} must be chosen from the list.")
        return Opt(kind, int(text))
    else:
        value = text
        low, high = d.get("min_length"), d.get("max_length")
        if (low is not None and len(text) < low) or (high is not None and len(text) > high):
            raise BadInput(f"{name} must be {low} to {high} characters long.")
    choices = d.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise BadInput(f"{name} must be one of {', '.join(str(c['name']) for c in choices)}.")
    return value


def visible_to(message: StoredMessage, viewer: int) -> bool:
    """An ephemeral answer is seen only by the member whose interaction it answers."""
    if not message.ephemeral:
        return True
    metadata = message.data.get("interaction_metadata") or {}
    return str((metadata.get("user") or {}).get("id")) == str(viewer)


def message_view(message: StoredMessage) -> JSON:
    return {**message.data, "ephemeral": message.ephemeral, "edits": message.edit_count}


class SandboxPage:
    """The page's web server, on the loopback Discord ``emulator``."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.version = 0
        self._changed = asyncio.Condition()
        self._waking: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""
        emulator.request_hooks.append(self._on_request)

    def _on_request(self, request: RecordedRequest) -> None:
        self.notify()

    def notify(self) -> None:
        """Something the page shows may have changed: tell the open pages."""
        self.version += 1
        task = asyncio.get_running_loop().create_task(self._wake())
        self._waking.add(task)
        task.add_done_callback(self._waking.discard)

    def _moved_on(self, seen: int) -> bool:
        return self.version != seen or self._runner is None

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- serving ----------------------------------------------------------------------------

    @web.middleware
    async def _same_origin(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Only this page may use the sandbox: another website open in the same browser could
        otherwise send it requests, or read it through a DNS name pointed at 127.0.0.1."""
        port = self.url.rsplit(":", 1)[-1]
        hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        if request.host not in hosts:
            raise web.HTTPForbidden(text="the sandbox answers only http://127.0.0.1 addresses")
        origin = request.headers.get("Origin")
        if origin is not None and origin.removeprefix("http://") not in hosts:
            raise web.HTTPForbidden(text="the sandbox answers only its own page")
        if request.method == "POST" and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="the body must be JSON (application/json)")
        return await handler(request)

    def app(self) -> web.Application:
        # Room for a file of MAX_UPLOAD bytes in base64, and the rest of the body.
        app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[self._same_origin])
        app.router.add_get("/", self._static)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/people", self._people)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/api/attachments/{message_id}/{attachment_id}", self._download)
        app.router.add_post("/api/command", self._command)
        app.router.add_post("/api/autocomplete", self._autocomplete)
        app.router.add_post("/api/click", self._click)
        app.router.add_post("/api/modal", self._modal)
        return app

    async def start(self, port: int) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, "127.0.0.1", port).start()  # never another address
        except OSError as exc:
            await self._runner.cleanup()
            raise OSError(f"cannot serve the page on 127.0.0.1:{port}: {exc.strerror}") from exc
        bound = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{bound}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        await self._wake()  # the open event streams see the runner gone and end
        if runner is not None:
            await runner.cleanup()

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name", "index.html")
        if name not in STATIC:
            raise web.HTTPNotFound()
        body = resources.files("bot.sandbox").joinpath("static", name).read_bytes()
        content_type = _CONTENT_TYPES[name.rsplit(".", 1)[1]]
        return web.Response(
            body=body, content_type=content_type, charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )  # fmt: skip

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        seen = -1
        with contextlib.suppress(ConnectionError):
            while self._runner is not None:
                if self.version != seen:
                    seen = self.version
                    await response.write(f"data: {seen}\n\n".encode())
                async with self._changed:
                    # Each stream waits for a version it has not sent, so no change is missed
                    # however many pages are open; a comment every 15 s keeps it alive.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._changed.wait_for(functools.partial(self._moved_on, seen)),
                            15,
                        )
                if self.version == seen:
                    await response.write(b": still here\n\n")
                # Coalesce a burst of changes into one read of the state.
                await asyncio.sleep(0.05)
        return response

    # -- state --------------------------------------------------------------------------------

    async def _people(self, request: web.Request) -> web.Response:
        return web.json_response(_people())

    async def _state(self, request: web.Request) -> web.Response:
        try:
            viewer = _actor({"as": request.query.get("as")})
        except BadInput as exc:
            return _refused(str(exc))
        return web.json_response(self.state(viewer), dumps=_dumps)

    def state(self, viewer: int) -> JSON:
        emu = self.emulator
        channels = [
            {
                "id": str(c.id),
                "name": c.name,
                "messages": [
                    message_view(m)
                    for m in emu.channel_messages(c.id, include_ephemeral=True)
                    if visible_to(m, viewer)
                ],
            }
            for c in CHANNELS
        ]
        dm_id = emu.dm_channel_id(viewer) if person(viewer) else None
        return {
            "version": self.version,
            "server": {"id": str(GUILD_ID), "name": SERVER_NAME},
            "bot": {"id": str(emu.bot_user_id), "name": "AuctionBot"},
            "people": _people(),
            "roles": [{"id": str(r.id), "name": r.name} for r in ROLES],
            "channels": channels,
            "dm": {
                "id": str(dm_id) if dm_id else None,
                # With the answers to the commands the member used there, as in a channel.
                "messages": [
                    message_view(m)
                    for m in emu.channel_messages(dm_id, include_ephemeral=True)
                    if visible_to(m, viewer)
                ]
                if dm_id
                else [],
            },
            "commands": emu.commands(GUILD_ID),
            "bot_connected": emu.connected_bots > 0,
            "api_violations": [
                {"method": v.method, "path": v.path, "error": v.error} for v in emu.spec_violations
            ],
        }

    # -- acting -------------------------------------------------------------------------------

    async def _command(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            actor = _actor(body)
            channel_id = self._channel(body, actor)
            name, sub, raw = _command_parts(body)
            command = self._find_command(name)
            typed = typed_options(option_defs(command, sub), raw, files=uploads(body))
            options = {
                k: self._uploaded(v) if isinstance(v, Upload) else v for k, v in typed.items()
            }
            payload = self.emulator.slash(actor, name, options, sub, channel_id=channel_id)
        except BadInput as exc:
            return _refused(str(exc))
        return await self._send(payload)

    async def _autocomplete(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            actor = _actor(body)
            channel_id = self._channel(body, actor)
            name, sub, raw = _command_parts(body)
            focused = body.get("focused")
            defs = option_defs(self._find_command(name), sub)
            completing = [d["name"] for d in defs if d.get("autocomplete")]
            if not isinstance(focused, str) or focused not in completing:
                raise BadInput(
                    "focused must name an option the bot completes: "
                    + (", ".join(completing) or f"/{name} completes none")
                    + "."
                )
            options = typed_options(defs, raw, focused=focused)
            payload = self.emulator.autocomplete(
                actor, name, options, focused, sub, channel_id=channel_id
            )
        except BadInput as exc:
            return _refused(str(exc))
        return await self._send(payload)

    async def _click(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            actor = _actor(body)
            message = self._message(body, actor)
            payload = self.emulator.click(actor, message, str(body.get("custom_id", "")))
        except (BadInput, ValueError) as exc:
            return _refused(str(exc))
        return await self._send(payload)

    async def _modal(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            actor = _actor(body)
            message = self._message(body, actor) if body.get("message_id") else None
            values = body.get("values") or {}
            if not isinstance(values, dict):
                raise BadInput("values must be an object of field ids and texts.")
            custom_id = str(body.get("custom_id", ""))
            if self.emulator.opened_modal(custom_id) is None:
                raise BadInput("That dialog was never opened: open it with its button first.")
            payload = self.emulator.modal_submit(
                actor,
                custom_id,
                {str(k): str(v) for k, v in values.items()},
                message,
                channel_id=None if message is not None else self._channel(body, actor),
            )
        except BadInput as exc:
            return _refused(str(exc))
        return await self._send(payload)

    async def _send(self, payload: JSON) -> web.Response:
        try:
            handle = await self.emulator.send_interaction(payload)
        except RuntimeError:
            return _refused("The bot is not connected right now; wait a moment and try again.")
        self.notify()
        try:
            callback = await handle.response(timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            return web.json_response(
                {"answered": False, "note": "The bot did not answer within 3 seconds: on "
                 "Discord, this interaction failed."}
            )  # fmt: skip
        return web.json_response({"answered": True, "callback": callback}, dumps=_dumps)

    def _uploaded(self, upload: Upload) -> Opt:
        return self.emulator.upload(upload.filename, upload.content, upload.content_type)

    async def _download(self, request: web.Request) -> web.Response:
        """A file of a message the viewer sees, as a download from the page's own server (the
        loopback Discord's address is another origin, which a download link cannot name)."""
        try:
            viewer = _actor({"as": request.query.get("as")})
            message = self._message({"message_id": request.match_info["message_id"]}, viewer)
        except BadInput as exc:
            return _refused(str(exc))
        wanted = request.match_info["attachment_id"]
        listed = any(a["id"] == wanted for a in message.data["attachments"])
        stored = self.emulator.attachment(int(wanted)) if listed else None
        if stored is None:
            raise web.HTTPNotFound(text="that message has no such file")
        quoted = urllib.parse.quote(stored.filename)
        return web.Response(
            body=stored.content,
            headers={
                # Never shown in the page's origin, whatever the bot said the file was.
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    def _find_command(self, name: str) -> JSON:
        for command in self.emulator.commands(GUILD_ID):
            if command["name"] == name:
                found: JSON = command
                return found
        names = ", ".join(f"/{c['name']}" for c in self.emulator.commands(GUILD_ID))
        raise BadInput(f"There is no command /{name}; the bot registered {names}.")

    def _channel(self, body: JSON, actor: int) -> int:
        channel = _int(body.get("channel_id"), "channel_id")
        if channel not in {c.id for c in CHANNELS} and channel != self.emulator.dm_channel_id(
            actor
        ):
            raise BadInput("Commands go in one of the server's channels or your DM with the bot.")
        return channel

    def _message(self, body: JSON, actor: int) -> StoredMessage:
        message_id = _int(body.get("message_id"), "message_id")
        message = self.emulator.message_by_id(message_id)
        if (
            message is None
            or message.deleted
            or not visible_to(message, actor)
            or message.channel_id
            not in {c.id for c in CHANNELS} | {self.emulator.dm_channel_id(actor)}
        ):
            raise BadInput("That message is gone.")
        return message


def _people() -> list[JSON]:
    return [
        {"id": str(p.user_id), "name": p.display_name, "username": p.username, "role": p.role}
        for p in PEOPLE
    ]


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def _refused(text: str) -> web.Response:
    return web.json_response({"error": text}, status=400)


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise BadInput(f"{name} must be an id.") from None


def _command_parts(body: JSON) -> tuple[str, str | None, dict[str, Any]]:
    """The command's name, its subcommand (``"sub"`` or ``"group sub"``) and the typed options."""
    name, sub, options = body.get("name"), body.get("subcommand"), body.get("options") or {}
    if not isinstance(name, str) or not (sub is None or isinstance(sub, str)):
        raise BadInput("name and subcommand must be texts, e.g. auctioneer and start.")
    if not isinstance(options, dict) or not all(
        isinstance(v, str | int | float | bool) for v in options.values()
    ):
        raise BadInput("options must map each option's name to what was typed.")
    return name, sub or None, {str(k): v for k, v in options.items()}


def _actor(body: JSON) -> int:
    actor = _int(body.get("as"), "as")
    if person(actor) is None:
        raise BadInput("Act as one of the people of the sandbox's server.")
    return actor


async def _body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body
