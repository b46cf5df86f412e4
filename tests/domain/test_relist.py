from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InvalidInput
from bot.domain.money import Currency
from bot.domain.relist import (
    RelistPolicy,
    RelistStep,
    next_relist,
    ordinal,
    relist_line,
    relist_price,
)

CLOSED = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
ON = RelistPolicy(enabled=True, wait=timedelta(hours=2), drop_percent=10, floor=150, max_relists=4)


def chain(base: int, policy: RelistPolicy) -> list[RelistStep]:
    """Every relist a handle listed at ``base`` goes through while nobody bids."""
    steps: list[RelistStep] = []
    previous, closed_at = base, CLOSED
    while step := next_relist(
        base=base,
        relists_so_far=len(steps),
        previous_starting_bid=previous,
        closed_at=closed_at,
        policy=policy,
    ):
        steps.append(step)
        previous, closed_at = step.starting_bid, step.at + timedelta(days=1)
    return steps


def test_defaults_are_off() -> None:
    policy = RelistPolicy()
    assert policy == RelistPolicy(False, timedelta(hours=1), 10, 1, 3)
    assert chain(200, policy) == []


def test_chain_from_200_with_10_percent_and_floor_150() -> None:
    steps = chain(200, ON)
    assert [step.starting_bid for step in steps] == [180, 162, 150, 150]
    assert [step.previous_starting_bid for step in steps] == [200, 180, 162, 150]
    assert [step.number for step in steps] == [1, 2, 3, 4]


def test_relist_opens_wait_after_the_close() -> None:
    step = next_relist(
        base=200, relists_so_far=0, previous_starting_bid=200, closed_at=CLOSED, policy=ON
    )
    assert step == RelistStep(
        number=1, starting_bid=180, previous_starting_bid=200, at=CLOSED + timedelta(hours=2)
    )


def test_no_relist_past_max_relists() -> None:
    def after(relists_so_far: int, policy: RelistPolicy = ON) -> RelistStep | None:
        return next_relist(
            base=200,
            relists_so_far=relists_so_far,
            previous_starting_bid=150,
            closed_at=CLOSED,
            policy=policy,
        )

    assert after(3) is not None
    assert after(4) is None
    assert after(5) is None
    assert after(0, RelistPolicy(enabled=True, max_relists=0)) is None


@pytest.mark.parametrize(("n", "expected"), [(1, 950), (2, 903), (3, 857), (10, 599)])
def test_prices_are_exact_and_round_half_up(n: int, expected: int) -> None:
    # 1000 * 0.95**2 = 902.5 exactly: half up gives 903 (banker's rounding would give 902).
    policy = RelistPolicy(drop_percent=5)
    assert relist_price(1000, n, policy) == expected
    exact = Fraction(1000) * Fraction(95, 100) ** n
    assert abs(expected - exact) <= Fraction(1, 2)


def test_rounding_half_up_on_small_amounts() -> None:
    # 5 * 0.9 = 4.5 -> 5 is capped by base anyway; 15 * 0.9 = 13.5 -> 14.
    assert relist_price(15, 1, RelistPolicy(drop_percent=10)) == 14
    assert relist_price(3, 1, RelistPolicy(drop_percent=50)) == 2  # 1.5 -> 2


def test_floor_and_base_bound_the_price() -> None:
    assert relist_price(200, 50, RelistPolicy(drop_percent=90, floor=7)) == 7
    assert relist_price(100, 1, RelistPolicy(drop_percent=10, floor=150)) == 100  # never above base


def test_relists_are_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        relist_price(200, 0, ON)


def test_a_policy_change_mid_chain_never_raises_the_price() -> None:
    gentler = RelistPolicy(enabled=True, drop_percent=1, floor=1, max_relists=10)
    step = next_relist(
        base=200, relists_so_far=2, previous_starting_bid=162, closed_at=CLOSED, policy=gentler
    )
    assert step is not None and step.starting_bid == 162  # 200 * 0.99**3 = 194 would be a rise


@given(
    base=st.integers(1, 10**12),
    drop=st.integers(1, 90),
    floor=st.integers(1, 10**6),
    max_relists=st.integers(0, 100),
)
def test_chain_prices_never_rise_nor_fall_below_the_floor(
    base: int, drop: int, floor: int, max_relists: int
) -> None:
    policy = RelistPolicy(enabled=True, drop_percent=drop, floor=floor, max_relists=max_relists)
    steps = chain(base, policy)
    assert len(steps) == max_relists
    prices = [base] + [step.starting_bid for step in steps]
    assert all(later <= earlier for earlier, later in pairwise(prices))
    assert all(price >= min(base, floor) for price in prices)
    for n, step in enumerate(steps, start=1):
        assert step.starting_bid == relist_price(base, n, policy)
        assert step.previous_starting_bid == prices[n - 1]


@pytest.mark.parametrize(
    ("field", "kwargs", "message"),
    [
        ("drop_percent", {"drop_percent": 0}, "from 1 to 90; 0 is out of range"),
        ("drop_percent", {"drop_percent": 91}, "from 1 to 90; 91 is out of range"),
        ("drop_percent", {"drop_percent": 5.5}, "whole number from 1 to 90"),
        ("floor", {"floor": 0}, "at least 1; 0 is out of range"),
        ("floor", {"floor": True}, "whole number at least 1"),
        ("max_relists", {"max_relists": -1}, "from 0 to 100; -1 is out of range"),
        ("max_relists", {"max_relists": 101}, "from 0 to 100; 101 is out of range"),
        ("wait", {"wait": timedelta(seconds=-1)}, "duration of zero or more, such as `1h`"),
        ("wait", {"wait": 3600}, "duration of zero or more"),
        ("enabled", {"enabled": 1}, "true or false"),
    ],
)
def test_policy_refusals_name_the_field_and_what_works(
    field: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        RelistPolicy(**kwargs)  # type: ignore[arg-type]
    assert f"`{field}`" in caught.value.message


def test_policy_limits_are_accepted() -> None:
    RelistPolicy(drop_percent=1, floor=1, max_relists=0, wait=timedelta(0))
    RelistPolicy(drop_percent=90, floor=10**12, max_relists=100)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (1_000_003, "1000003rd"),
    ],
)
def test_ordinal(n: int, expected: str) -> None:
    assert ordinal(n) == expected


def test_relist_line_when_the_price_falls() -> None:
    assert (
        relist_line(3, 200, 171, str)
        == "relisted for the 3rd time; starting bid lowered from 200 to 171"
    )


def test_relist_line_at_the_floor() -> None:
    assert (
        relist_line(4, 150, 150, str) == "relisted for the 4th time; starting bid 150 (the floor)"
    )


def test_relist_line_formats_amounts() -> None:
    credits = Currency(name="credits")
    assert relist_line(1, 1_200, 1_080, credits.format) == (
        "relisted for the 1st time; starting bid lowered from 1,200 credits to 1,080 credits"
    )
