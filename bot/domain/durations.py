"""Durations written the way people type them: ``90s``, ``10m``, ``2h``, ``3d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.domain.errors import InvalidDuration
from bot.domain.text import quote

_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_PART = re.compile(r"(\d{1,7})\s*([wdhms])")
_EXAMPLES = "`90s`, `10m`, `2h`, `3d` or `1h30m`"


def parse_wait(text: str) -> timedelta:
    """Like ``parse_duration``, but zero (``0s``, ``0``) is allowed: "no wait"."""
    if re.fullmatch(r"0+ *[smhd]?", text.strip().lower()):
        return timedelta(0)
    return parse_duration(text)


def parse_duration(text: str) -> timedelta:
    """Read ``text`` as a positive duration, or raise ``InvalidDuration`` showing the accepted forms."""
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise InvalidDuration(f"The duration is empty; write it like {_EXAMPLES}.")
    seconds = 0
    position = 0
    seen: set[str] = set()
    for match in _PART.finditer(compact):
        if match.start() != position or match.group(2) in seen:
            break
        seen.add(match.group(2))
        seconds += int(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(compact) or not seen:
        raise InvalidDuration(f"`{quote(text)}` is not a duration; write it like {_EXAMPLES}.")
    if seconds == 0:
        raise InvalidDuration(f"The duration must be longer than zero; write it like {_EXAMPLES}.")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """``timedelta(hours=1, minutes=30)`` -> ``"1h30m"``; the inverse of ``parse_duration``."""
    remaining = int(delta.total_seconds())
    if remaining <= 0:
        return "0s"
    parts = []
    for unit, size in _UNITS.items():
        if unit == "w":
            continue
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def check_bounds(delta: timedelta, low: timedelta, high: timedelta, what: str = "duration") -> None:
    if not low <= delta <= high:
        raise InvalidDuration(
            f"The {what} must be between {format_duration(low)} and {format_duration(high)}; "
            f"{format_duration(delta)} is out of range."
        )
