"""The emulator's HTTP vocabulary: a call as a handler sees it, the reply it gives, the routes.

A REST handler takes a ``Call`` (the matched path parameters, query, JSON body and uploaded
files, each an ``UploadedFile``) and returns a ``Reply``, or raises ``ApiError`` for one of
Discord's error answers (``ERRORS`` holds their messages). ``too_many_requests`` is a 429 shaped as Discord sends it.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
API_PREFIX = "/api/v10"

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


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        super().__init__(message or ERRORS.get(code, "Error"))
        self.status, self.code = status, code


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    code: int | None = None

    @classmethod
    def error(cls, status: int, code: int, message: str | None = None) -> Reply:
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


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart request: ``index`` is its n, which the body's
    ``attachments`` array refers to as ``id``."""

    index: int
    filename: str
    content: bytes = field(repr=False)
    content_type: str | None = None


@dataclass
class Call:
    method: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    files: list[UploadedFile]


@dataclass
class Route:
    method: str
    template: str
    handler: Callable[[Call], Reply]
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        escaped = re.escape(self.template)  # "{name}" becomes "\\{name\\}"
        self.regex = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", escaped))


def too_many_requests(retry_after: float, limit: int, bucket: str | None) -> Reply:
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
    return Reply(429, body, headers, code=None)
