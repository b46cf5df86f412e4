from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.durations import check_bounds, format_duration, parse_duration, parse_wait
from bot.domain.errors import InvalidAmount, InvalidDuration, InvalidInput
from bot.domain.money import Currency, IncrementRule

CURRENCY = Currency(name="credits", max_amount=1_000)


@pytest.mark.parametrize("amount", [1, 500, 1_000])
def test_amounts_in_range_pass(amount: int) -> None:
    assert CURRENCY.check(amount) == amount


@pytest.mark.parametrize("amount", [0, -5, 1_001, 10**30])
def test_amounts_out_of_range_name_the_range(amount: int) -> None:
    with pytest.raises(InvalidAmount, match="between 1 and 1,000"):
        CURRENCY.check(amount, "bid")


@pytest.mark.parametrize("amount", [True, 1.5, "10", None])
def test_non_integers_are_refused(amount: object) -> None:
    with pytest.raises(InvalidAmount, match="whole number"):
        CURRENCY.check(amount)


def test_format_uses_thousands_and_unit() -> None:
    assert CURRENCY.format(1250) == "1,250 credits"


@pytest.mark.parametrize(
    ("absolute", "percent", "current", "expected"),
    [
        (1, 5, 100, 105),  # percent dominates
        (10, 5, 100, 110),  # absolute dominates
        (1, 5, 101, 107),  # ceil(106.05) = 107
        (1, 0, 100, 101),
        (1, 5, 1, 2),  # ceil(1.05) = 2 = 1 + 1
        (50, 10, 1_000, 1_100),
    ],
)
def test_minimum_next_bid(absolute: int, percent: int, current: int, expected: int) -> None:
    assert IncrementRule(absolute, percent).next_after(current) == expected


def test_increment_rule_is_validated() -> None:
    with pytest.raises(InvalidInput, match="at least 1"):
        IncrementRule(absolute=0, percent=5)
    with pytest.raises(InvalidInput, match="between 0%"):
        IncrementRule(absolute=1, percent=-1)


def test_increment_override_parsing() -> None:
    default = IncrementRule(absolute=5, percent=5)
    assert IncrementRule.parse_override("10", default) == IncrementRule(10, 0)
    assert IncrementRule.parse_override(" 7% ", default) == IncrementRule(5, 7)
    assert IncrementRule.parse_override("1,000", default) == IncrementRule(1000, 0)
    for bad in ["", "ten", "5%%", "-3", "0", "9" * 40, "%"]:
        with pytest.raises(InvalidInput):
            IncrementRule.parse_override(bad, default)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("2h", 7200), ("3d", 259_200), ("1h30m", 5400), ("1s", 1),
     ("1w", 604_800), (" 2H 5M ", 7500)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "10", "m", "1x", "1h1h", "0s", "-5m", "1.5h", "5 minutes"])
def test_bad_durations_show_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidDuration, match=r"1h30m|longer than zero|empty"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ["90s", "1h30m", "3d", "2d4h1m5s"]:
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    assert format_duration(timedelta(minutes=90)) == "1h30m"


def test_bounds() -> None:
    check_bounds(timedelta(minutes=5), timedelta(minutes=1), timedelta(hours=1))
    with pytest.raises(InvalidDuration, match="between 1m and 1h"):
        check_bounds(timedelta(hours=2), timedelta(minutes=1), timedelta(hours=1))


def test_amount_and_increment_text_is_read_strictly() -> None:
    currency = Currency(max_amount=1000)
    assert currency.parse(" 1,000 ") == 1000
    with pytest.raises(InvalidAmount, match="between 1 and 1,000"):
        currency.parse("-5")
    with pytest.raises(InvalidAmount, match="between 1 and 1,000"):
        currency.parse("9" * 40)
    with pytest.raises(InvalidAmount, match="from 1 to 1,000"):
        currency.parse("²")
    for text in ["²", "5²%", "٣", "٣%"]:
        with pytest.raises(InvalidInput):
            IncrementRule.parse_override(text, IncrementRule())


@pytest.mark.parametrize(("text", "seconds"), [("0s", 0), ("0", 0), ("00m", 0), ("90s", 90)])
def test_a_wait_may_be_zero(text: str, seconds: int) -> None:
    assert parse_wait(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["s", "", "-0s", "0x"])
def test_a_wait_is_still_a_duration(text: str) -> None:
    with pytest.raises(InvalidDuration):
        parse_wait(text)
