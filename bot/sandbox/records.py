"""What the emulator records for a test to assert on.

Messages with their edit history (``StoredMessage``), every request (``RecordedRequest``),
requests Discord's OpenAPI spec rejects (``SpecViolation``), and each interaction sent to the
bot with its callbacks and answers (``InteractionHandle``), files with their bytes
(``StoredAttachment``); also ``Opt``, a slash-command option with an explicit type, and
``walk_components``, which flattens a message's components.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.sandbox.replies import JSON
from bot.sandbox.world import EPHEMERAL


@dataclass(frozen=True)
class Opt:
    """A slash-command option with an explicit type (e.g. ``Opt(USER, ALICE_ID)``)."""

    type: int
    value: Any


@dataclass(frozen=True)
class StoredAttachment:
    """A file as Discord's CDN holds it: one a member uploaded with a command, or one the bot
    sent with a message. ``ephemeral`` files are those Discord deletes after a while (uploads
    to a command, files of an ephemeral message); it says so in their objects."""

    id: int
    filename: str
    content: bytes = field(repr=False)
    content_type: str | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def path(self) -> str:
        """Where the emulator's HTTP server serves the bytes (Discord's CDN path, shortened)."""
        return f"/attachments/{self.id}/{urllib.parse.quote(self.filename)}"

    def to_json(self, base_url: str) -> JSON:
        """The attachment object, shaped as Discord's API sends it."""
        url = base_url + self.path
        data: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
        }
        if self.content_type is not None:
            data["content_type"] = self.content_type
        if self.description is not None:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data


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
            c["custom_id"] for c in walk_components(self.data["components"]) if "custom_id" in c
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


class MessageLookup(Protocol):
    """Where an ``InteractionHandle`` finds the messages it answered with."""

    def message_by_id(self, message_id: int) -> StoredMessage | None: ...


class InteractionHandle:
    """An interaction sent to the bot: its callbacks, original response and follow-ups."""

    def __init__(self, emulator: MessageLookup, payload: JSON) -> None:
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


def walk_components(components: Sequence[JSON]) -> list[JSON]:
    """Every component of a tree, each before those it holds (rows, labels, accessories)."""
    out: list[JSON] = []
    for c in components:
        out.append(c)
        out.extend(walk_components(c.get("components", [])))
        for key in ("component", "accessory"):
            if isinstance(c.get(key), dict):
                out.extend(walk_components([c[key]]))
    return out
