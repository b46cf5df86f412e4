"""Scheduled drops: a batch of handle auctions that start at a chosen time, one after another.

Every time here is UTC. People type a start as ``now``, ``in 2h``, ``18:00`` or
``2026-12-05 18:00``; ``parse_start`` reads it against the ``now`` it is given.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from bot.domain.durations import parse_duration
from bot.domain.errors import InvalidDuration, InvalidInput
from bot.domain.text import quote

MAX_DROP_SIZE = 100
MAX_LEAD = timedelta(days=90)
# A start typed a few seconds late (the clock ticked over while they typed) is still "now".
PAST_GRACE = timedelta(seconds=60)

_CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*(?:utc|z))?")
_DATE_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[ t]"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,6})?)?"
    r"(?:\s*(?:utc|z)|(?P<sign>[+-])(?P<off_hour>\d{2}):?(?P<off_minute>\d{2}))?"
)
_RELATIVE = re.compile(r"in\s+(?P<duration>.+)")


def parse_start(text: str, now: datetime) -> datetime:
    """Read when a drop starts, as an aware UTC datetime, or refuse with forms that work.

    ``now`` and ``in 2h`` keep ``now``'s seconds; a clock time (``18:00``, a date and time)
    starts on the minute. A bare ``18:00`` is its next occurrence: today if it has not yet
    passed, else tomorrow.
    """
    now = _utc(now)
    compact = " ".join(text.strip().lower().split())
    try:
        start = _read(text, compact, now)
    except OverflowError:  # "in 9999999w", a year 9999 date pushed past the calendar's end
        raise InvalidInput(
            f"`{quote(text)}` is far beyond when a drop can start (at most {MAX_LEAD.days} "
            f"days ahead, by {_show(now + MAX_LEAD)})."
        ) from None
    if start < now - PAST_GRACE:
        raise InvalidInput(
            f"`{quote(text)}` is {_show(start)}, which has already passed (it is now "
            f"{_show(now)}). Pick a later time, like `now`, `in 2h` or {_example_date(now)}."
        )
    if start - now > MAX_LEAD:
        raise InvalidInput(
            f"`{quote(text)}` is {_show(start)}, more than {MAX_LEAD.days} days ahead. "
            f"A drop can start at the latest {_show(now + MAX_LEAD)}."
        )
    return start


def schedule(first: datetime, count: int, interval: timedelta) -> list[datetime]:
    """The start of each of ``count`` auctions: ``first``, ``first + interval``, ...

    An ``interval`` of zero starts them all at once.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidInput(
            f"The number of handles in a drop must be a whole number from 1 to {MAX_DROP_SIZE}."
        )
    if not 1 <= count <= MAX_DROP_SIZE:
        raise InvalidInput(
            f"A drop holds from 1 to {MAX_DROP_SIZE} handles; {count:,} is out of range."
        )
    if interval < timedelta(0):
        raise InvalidInput(
            "The gap between starts can't be negative: use a duration such as `10m`, "
            "or 0 to start every auction at once."
        )
    return [first + interval * index for index in range(count)]


def announce_at(first: datetime, lead: timedelta, now: datetime) -> datetime:
    """When to announce a drop starting at ``first``: ``lead`` before it, but never in the past."""
    return max(now, first - lead)


def _read(text: str, compact: str, now: datetime) -> datetime:
    if compact == "now":
        return now
    if relative := _RELATIVE.fullmatch(compact):
        try:
            return now + parse_duration(relative.group("duration"))
        except InvalidDuration:
            raise InvalidInput(
                f"`{quote(text)}` is not a time from now I can read; write it like `in 2h`, "
                f"`in 90m` or `in 1h30m`."
            ) from None
    if clock := _CLOCK.fullmatch(compact):
        hour, minute = int(clock.group("hour")), int(clock.group("minute"))
        _check_clock(text, hour, minute, now)
        start = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return start if start >= now else start + timedelta(days=1)
    if stamp := _DATE_TIME.fullmatch(compact):
        return _date_time(text, stamp, now)
    raise InvalidInput(
        f"`{quote(text)}` is not a start time I can read. Write `now`, a time from now like "
        f"`in 2h`, a UTC time like `18:00`, or a UTC date and time like {_example_date(now)}."
    )


def _date_time(text: str, stamp: re.Match[str], now: datetime) -> datetime:
    hour, minute = int(stamp.group("hour")), int(stamp.group("minute"))
    _check_clock(text, hour, minute, now)
    offset = timedelta(0)
    if stamp.group("sign"):
        offset = timedelta(
            hours=int(stamp.group("off_hour")), minutes=int(stamp.group("off_minute"))
        )
        if offset >= timedelta(hours=24) or int(stamp.group("off_minute")) > 59:
            raise InvalidInput(
                f"`{quote(text)}` has a UTC offset I can't use; write the time in UTC, "
                f"like {_example_date(now)}."
            )
        if stamp.group("sign") == "-":
            offset = -offset
    try:
        local = datetime(
            int(stamp.group("year")),
            int(stamp.group("month")),
            int(stamp.group("day")),
            hour,
            minute,
            tzinfo=timezone(offset),
        )
    except ValueError:
        raise InvalidInput(
            f"`{quote(text)}` is not a date on the calendar; write it as year-month-day, "
            f"like {_example_date(now)}."
        ) from None
    return local.astimezone(UTC)


def _check_clock(text: str, hour: int, minute: int, now: datetime) -> None:
    if hour > 23 or minute > 59:
        raise InvalidInput(
            f"`{quote(text)}` is not a time of day; write hours 0-23 and minutes 0-59 in UTC, "
            f"like `18:00` or {_example_date(now)}."
        )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


def _show(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _example_date(now: datetime) -> str:
    """A date and time that would be accepted, so the example in a refusal works as typed."""
    return (now + timedelta(days=1)).strftime("`%Y-%m-%d 18:00`")
