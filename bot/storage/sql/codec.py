"""How domain values are written to SQLite: times as integer microseconds since the epoch, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
    return span_us(moment - _EPOCH)


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def opt_from_us(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


def span_us(delta: timedelta) -> int:
    # Exact integer arithmetic on the parts: about three times faster than ``delta //
    # timedelta(microseconds=1)``, and this runs several times per bid.
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
