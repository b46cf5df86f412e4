from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.domain.drops import MAX_DROP_SIZE, MAX_LEAD, announce_at, parse_start, schedule
from bot.domain.errors import InvalidInput

NOW = datetime(2026, 12, 1, 12, 34, 56, 789, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int, minute: int, *, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_now_is_now() -> None:
    assert parse_start("now", NOW) == NOW
    assert parse_start("  NOW ", NOW) == NOW


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("in 2h", timedelta(hours=2)),
        ("in 90m", timedelta(minutes=90)),
        ("in 1h30m", timedelta(hours=1, minutes=30)),
        ("In 1h 30m", timedelta(hours=1, minutes=30)),
        ("in 3d", timedelta(days=3)),
    ],
)
def test_relative_starts_count_from_now(text: str, delta: timedelta) -> None:
    assert parse_start(text, NOW) == NOW + delta


@pytest.mark.parametrize("text", ["18:00", "18:00 UTC", "18:00 utc", "18:00Z", " 18:00  UTC "])
def test_clock_time_still_ahead_is_today_on_the_minute(text: str) -> None:
    assert parse_start(text, NOW) == at(2026, 12, 1, 18, 0)


def test_clock_time_already_passed_is_tomorrow() -> None:
    assert parse_start("9:15", NOW) == at(2026, 12, 2, 9, 15)
    assert parse_start("12:34", NOW) == at(2026, 12, 2, 12, 34)  # 56 s ago: tomorrow's


def test_clock_time_at_this_very_minute_is_now() -> None:
    on_the_minute = at(2026, 12, 1, 18, 0)
    assert parse_start("18:00", on_the_minute) == on_the_minute


def test_next_occurrence_around_midnight() -> None:
    just_before = at(2026, 12, 31, 23, 59, second=30)
    assert parse_start("00:00", just_before) == at(2027, 1, 1, 0, 0)
    assert parse_start("23:59", just_before) == at(2027, 1, 1, 23, 59)  # 30 s ago: tomorrow's
    just_after = at(2027, 1, 1, 0, 0, second=30)
    assert parse_start("00:00", just_after) == at(2027, 1, 2, 0, 0)
    assert parse_start("00:01", just_after) == at(2027, 1, 1, 0, 1)
    assert parse_start("23:59", just_after) == at(2027, 1, 1, 23, 59)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-05 18:00",
        "2026-12-05T18:00",
        "2026-12-05 18:00 UTC",
        "2026-12-05 18:00Z",
        "2026-12-05T18:00Z",
        "2026-12-05T18:00:00+00:00",
        "2026-12-05T18:00+00:00",
        "2026-12-05T18:00:45.123+00:00",  # seconds dropped: drops start on the minute
        "2026-12-05T20:00:00+02:00",
        "2026-12-05T13:00-05:00",
    ],
)
def test_dates_and_times_are_utc_on_the_minute(text: str) -> None:
    start = parse_start(text, NOW)
    assert start == at(2026, 12, 5, 18, 0)
    assert start.utcoffset() == timedelta(0)


def test_result_is_utc_whatever_zone_now_is_in() -> None:
    tokyo_now = NOW.astimezone(timezone(timedelta(hours=9)))
    start = parse_start("18:00", tokyo_now)
    assert start == at(2026, 12, 1, 18, 0)
    assert start.tzinfo is UTC


def test_a_minute_of_grace_for_the_past() -> None:
    assert parse_start("2026-12-01 12:34", NOW) == at(2026, 12, 1, 12, 34)


def test_past_times_are_refused_with_what_works() -> None:
    with pytest.raises(InvalidInput, match="already passed") as caught:
        parse_start("2026-12-01 12:33", NOW)
    assert "it is now 2026-12-01 12:34 UTC" in caught.value.message
    assert "`in 2h`" in caught.value.message
    with pytest.raises(InvalidInput, match="already passed"):
        parse_start("2025-06-01 18:00", NOW)


def test_more_than_max_lead_ahead_is_refused_with_the_latest_allowed() -> None:
    assert parse_start("in 90d", NOW) == NOW + MAX_LEAD
    with pytest.raises(InvalidInput, match="more than 90 days ahead") as caught:
        parse_start("in 91d", NOW)
    assert "at the latest 2027-03-01 12:34 UTC" in caught.value.message
    with pytest.raises(InvalidInput, match="more than 90 days ahead"):
        parse_start("2027-12-05 18:00", NOW)


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "18", "6pm", "18.00", "2026/12/05 18:00", "2026-12-05", "in", "soon`ish"],
)
def test_unreadable_text_is_refused_with_every_form(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a start time I can read") as caught:
        parse_start(text, NOW)
    message = caught.value.message
    for form in ("`now`", "`in 2h`", "`18:00`", "`2026-12-02 18:00`"):
        assert form in message


def test_example_in_the_refusal_is_accepted() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_start("tomorrow", NOW)
    example = caught.value.message.rsplit("`", 2)[1]
    assert parse_start(example, NOW) == at(2026, 12, 2, 18, 0)


@pytest.mark.parametrize("text", ["in soon", "in 0m", "in 2x", "in 2h later"])
def test_bad_relative_is_refused_with_relative_examples(text: str) -> None:
    with pytest.raises(InvalidInput, match="like `in 2h`, `in 90m` or `in 1h30m`"):
        parse_start(text, NOW)


@pytest.mark.parametrize("text", ["24:00", "18:60", "2026-12-05 25:00"])
def test_impossible_clock_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="hours 0-23 and minutes 0-59"):
        parse_start(text, NOW)


@pytest.mark.parametrize("text", ["2026-02-30 18:00", "2026-13-01 18:00"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a date on the calendar"):
        parse_start(text, NOW)


def test_impossible_offsets_are_refused() -> None:
    with pytest.raises(InvalidInput, match="UTC offset"):
        parse_start("2026-12-05T18:00+24:00", NOW)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_start("now", NOW.replace(tzinfo=None))


def test_schedule_spaces_starts_by_the_interval() -> None:
    first = at(2026, 12, 5, 18, 0)
    assert schedule(first, 3, timedelta(minutes=10)) == [
        at(2026, 12, 5, 18, 0),
        at(2026, 12, 5, 18, 10),
        at(2026, 12, 5, 18, 20),
    ]


def test_schedule_zero_interval_starts_all_at_once() -> None:
    first = at(2026, 12, 5, 18, 0)
    assert schedule(first, 4, timedelta(0)) == [first] * 4


def test_schedule_sizes() -> None:
    first = at(2026, 12, 5, 18, 0)
    assert schedule(first, 1, timedelta(hours=1)) == [first]
    starts = schedule(first, MAX_DROP_SIZE, timedelta(minutes=1))
    assert len(starts) == MAX_DROP_SIZE
    assert starts[-1] == first + timedelta(minutes=MAX_DROP_SIZE - 1)


@pytest.mark.parametrize("count", [0, -1, MAX_DROP_SIZE + 1])
def test_schedule_refuses_sizes_out_of_range(count: int) -> None:
    with pytest.raises(InvalidInput, match="from 1 to 100 handles"):
        schedule(NOW, count, timedelta(minutes=1))


@pytest.mark.parametrize("count", [True, 2.0])
def test_schedule_refuses_non_whole_counts(count: object) -> None:
    with pytest.raises(InvalidInput, match="whole number from 1 to 100"):
        schedule(NOW, count, timedelta(minutes=1))  # type: ignore[arg-type]


def test_schedule_refuses_a_negative_interval() -> None:
    with pytest.raises(InvalidInput, match=r"can't be negative.*`10m`.*0 to start every auction"):
        schedule(NOW, 2, timedelta(minutes=-1))


def test_announce_lead_before_the_start() -> None:
    first = at(2026, 12, 5, 18, 0)
    assert announce_at(first, timedelta(hours=1), NOW) == at(2026, 12, 5, 17, 0)


def test_announce_never_in_the_past() -> None:
    first = NOW + timedelta(minutes=10)
    assert announce_at(first, timedelta(hours=1), NOW) == NOW
    assert announce_at(NOW, timedelta(0), NOW) == NOW


@pytest.mark.parametrize(
    "text", ["in 9999999w", "9999-12-31 23:59-23:59", "0001-01-01 00:00+23:59"]
)
def test_times_beyond_the_calendar_are_refused_not_crashed_on(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_start(text, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
