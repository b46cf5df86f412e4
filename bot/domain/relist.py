"""Falling-price relists: a handle that closes unsold goes up again, a little cheaper each time.

Modelled on Fragment, which lowers the price of unclaimed names by 5% a day. The n-th relist
of a handle first listed at ``base`` starts at ``base * (1 - drop/100) ** n``, rounded half
up, never below the floor and never above ``base``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from bot.domain.errors import InvalidInput

MAX_DROP_PERCENT = 90
MAX_RELISTS = 100
_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


@dataclass(frozen=True, slots=True)
class RelistPolicy:
    """Whether unsold handles go up again, how long after closing, and how much cheaper."""

    enabled: bool = False
    wait: timedelta = timedelta(hours=1)
    drop_percent: int = 10
    floor: int = 1
    max_relists: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise InvalidInput("The relist setting `enabled` must be true or false.")
        if not isinstance(self.wait, timedelta) or self.wait < timedelta(0):
            raise InvalidInput(
                "The relist `wait` must be a duration of zero or more, such as `1h` "
                "(how long after an unsold close the handle goes up again)."
            )
        _check_whole(
            self.drop_percent, "drop_percent", 1, MAX_DROP_PERCENT, "percent off each relist"
        )
        _check_whole(self.floor, "floor", 1, None, "the lowest starting bid a relist may have")
        _check_whole(self.max_relists, "max_relists", 0, MAX_RELISTS, "relists of one handle")


def relist_price(base: int, n: int, policy: RelistPolicy) -> int:
    """The starting bid of the ``n``-th relist (``n >= 1``) of a handle first listed at ``base``.

    Exact: the price is a ``Fraction`` until it is rounded half up, so 902.5 becomes 903 and
    no float drift creeps in over many relists.
    """
    if n < 1:
        raise ValueError(f"relists are numbered from 1, not {n}")
    exact = Fraction(base) * Fraction(100 - policy.drop_percent, 100) ** n
    rounded = (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)
    return min(base, max(policy.floor, rounded))


@dataclass(frozen=True, slots=True)
class RelistStep:
    """The next relist of a handle: which one it is, its starting bid, and when it opens."""

    number: int
    starting_bid: int
    previous_starting_bid: int
    at: datetime


def next_relist(
    *,
    base: int,
    relists_so_far: int,
    previous_starting_bid: int,
    closed_at: datetime,
    policy: RelistPolicy,
) -> RelistStep | None:
    """The relist that follows an unsold close at ``closed_at``, or None if there is none.

    The starting bid never rises above the previous one, even if the policy changed mid-chain
    (a smaller drop percent would otherwise put the price back up).
    """
    if not policy.enabled or relists_so_far >= policy.max_relists:
        return None
    number = relists_so_far + 1
    return RelistStep(
        number=number,
        starting_bid=min(previous_starting_bid, relist_price(base, number, policy)),
        previous_starting_bid=previous_starting_bid,
        at=closed_at + policy.wait,
    )


def ordinal(n: int) -> str:
    """``1`` -> ``"1st"``, ``12`` -> ``"12th"``, ``22`` -> ``"22nd"``, ``111`` -> ``"111th"``."""
    last_two = abs(n) % 100
    suffix = "th" if last_two in {11, 12, 13} else _SUFFIXES.get(last_two % 10, "th")
    return f"{n}{suffix}"


def relist_line(number: int, previous: int, now: int, fmt: Callable[[int], str]) -> str:
    """The line an auction post shows for a relist; ``fmt`` formats amounts."""
    prefix = f"relisted for the {ordinal(number)} time; starting bid"
    if now == previous:
        return f"{prefix} {fmt(now)} (the floor)"
    direction = "lowered" if now < previous else "raised"
    return f"{prefix} {direction} from {fmt(previous)} to {fmt(now)}"


def _check_whole(value: object, name: str, low: int, high: int | None, meaning: str) -> None:
    bounds = f"at least {low}" if high is None else f"from {low} to {high}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"The relist `{name}` ({meaning}) must be a whole number {bounds}.")
    if value < low or (high is not None and value > high):
        raise InvalidInput(
            f"The relist `{name}` ({meaning}) must be {bounds}; {value:,} is out of range."
        )
