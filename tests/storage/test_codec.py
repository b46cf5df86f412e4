"""Times are stored as exact integer microseconds: every moment and span survives the trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage.sql.codec import from_us, span_us, to_us

# hypothesis takes naive bounds and attaches the time zone itself.
MOMENTS = st.datetimes(
    min_value=datetime(1900, 1, 1),  # noqa: DTZ001
    max_value=datetime(2400, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(MOMENTS)
def test_a_moment_round_trips_exactly(moment: datetime) -> None:
    stored = to_us(moment)
    assert stored == (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert from_us(stored) == moment


@given(st.timedeltas())
def test_a_span_is_its_exact_count_of_microseconds(delta: timedelta) -> None:
    assert span_us(delta) == delta // timedelta(microseconds=1)


def test_moments_before_the_epoch_are_negative() -> None:
    assert to_us(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == -1


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_us(datetime(2026, 1, 1))  # noqa: DTZ001 - the mistake under test
