"""Validation of the bot's requests against Discord's OpenAPI description.

The emulator checks every request it routes (after answering it, on a worker thread) and
keeps the violations, so a test fails when the bot sends what the real Discord would refuse.
The spec is the vendored copy (``VENDORED_SPEC``) unless ``DISCORD_OPENAPI_SPEC`` names
another file; ``openapi-core`` (a test extra) is imported when validation is first needed.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.sandbox.replies import API_PREFIX


def stringify_allowed_mentions(body: Any) -> bool:
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


def stringify_attachment_ids(body: Any) -> bool:
    """Turn integer ids in a message body's ``attachments`` (top level, or in an interaction
    callback's ``data``) into strings, in place. True if any was changed."""
    if not isinstance(body, dict):
        return False
    changed = False
    for holder in (body, body.get("data")):
        listed = holder.get("attachments") if isinstance(holder, dict) else None
        for a in listed if isinstance(listed, list) else []:
            if isinstance(a, dict) and isinstance(a.get("id"), int):
                a["id"] = str(a["id"])
                changed = True
    return changed


# Discord's OpenAPI description, vendored from github.com/discord/discord-api-spec.
VENDORED_SPEC = Path(__file__).resolve().parent / "discord_api_spec" / "openapi.json"


def spec_path() -> Path:
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
def load_openapi(path: str) -> Any:
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


def validate(
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
