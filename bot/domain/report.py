"""The seller's revenue report: what a server's auctions closed and sold over a period, worked
out from the rows a store returns (no I/O here, ``now`` passed in).

Two clocks, each the natural one for what it counts:

- the auctions *closed* in the period (by when they closed), and of those how many ended in a
  sale (sell-through). In pledge mode an auction that closed with a winner is a sale only
  once someone paid: until then it is "awaiting payment";
- the *sales* made in the period (by when the sale was recorded in the sold registry: at the
  close, or in pledge mode when the payment was confirmed): their count, revenue, prices by
  handle length, the top sales and the series over time. A sale a moderator later released
  still counts: it happened.

Periods end now and start at midnight UTC: ``7d`` is today and the six days before it, so
the daily series has exactly 7 whole UTC days (today's still running). ``90d`` and ``all``
are counted in weeks of 7 days back from today.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from bot.domain.auction import Outcome, Status
from bot.domain.errors import InvalidInput
from bot.domain.handles import Handle
from bot.domain.money import Currency
from bot.domain.text import quote

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
TOP_SALES = 5
# Handle lengths reported one by one up to this; longer ones together ("5+").
LONGEST_OWN_LENGTH = 4


class Period(StrEnum):
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"
    ALL = "all"

    @property
    def days(self) -> int | None:
        return {"7d": 7, "30d": 30, "90d": 90}.get(self.value)

    @property
    def bucket(self) -> timedelta:
        """The series' step: days for the short periods, weeks for the long ones."""
        return DAY if self in (Period.WEEK, Period.MONTH) else WEEK

    @property
    def label(self) -> str:
        return "all time" if self.days is None else f"the last {self.days} days"


def parse_period(text: str) -> Period:
    try:
        return Period(text.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Period)
        raise InvalidInput(
            f"`{quote(text)}` is not a report period: use one of {choices}."
        ) from None


def period_start(period: Period, now: datetime) -> datetime | None:
    """Midnight UTC ``days - 1`` days before today (None: from the beginning)."""
    if period.days is None:
        return None
    return _midnight(now) - (period.days - 1) * DAY


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


# -- what the store returns ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosedGroup:
    """How many auctions closed in the period with this status and outcome, whether each has a
    sale in the registry, and their pledge settlement's status (None: no settlement)."""

    status: Status
    outcome: Outcome | None
    sold: bool
    settlement: str | None
    count: int
    first_closed_at: datetime


@dataclass(frozen=True, slots=True)
class SaleRow:
    auction_id: int
    handle: Handle
    winner_id: int
    price: int
    sold_at: datetime
    released: bool


@dataclass(frozen=True, slots=True)
class ReportRows:
    closed: Sequence[ClosedGroup]
    sales: Sequence[SaleRow]
    defaults: int  # pledge steps that defaulted in the period
    second_chance: frozenset[int]  # auctions paid for in the period by a second-chance buyer


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceFigures:
    sales: int
    revenue: int
    median: int | None
    average: int | None


@dataclass(frozen=True, slots=True)
class LengthFigures:
    label: str  # "1" ... "4", "5+"
    figures: PriceFigures


@dataclass(frozen=True, slots=True)
class TopSale:
    handle: Handle
    price: int
    winner_id: int
    sold_at: datetime
    second_chance: bool


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    sales: int
    revenue: int


@dataclass(frozen=True, slots=True)
class Report:
    guild_id: int
    period: Period
    since: datetime | None
    until: datetime
    currency: Currency  # the server's currency when the report was made: amounts are counted in it
    closed: int  # auctions closed with a result (sold, no bids, reserve not met)
    cancelled: int
    sold: int  # of the closed ones, how many ended in a sale
    awaiting_payment: int  # closed with a winner who has not paid yet (pledge mode)
    sales: PriceFigures  # the sales recorded in the period
    by_length: tuple[LengthFigures, ...]
    top: tuple[TopSale, ...]
    defaults: int
    second_chance_sales: int
    series: tuple[Bucket, ...]
    bucket: timedelta

    @property
    def sell_through(self) -> float | None:
        """Sold / closed with a result; None when nothing closed."""
        return self.sold / self.closed if self.closed else None


def median(prices: Sequence[int]) -> int | None:
    """The middle price; for an even count the mean of the middle two, rounded half up
    (amounts are whole numbers)."""
    if not prices:
        return None
    ordered = sorted(prices)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return _half_up(ordered[middle - 1] + ordered[middle], 2)


def average(prices: Sequence[int]) -> int | None:
    return _half_up(sum(prices), len(prices)) if prices else None


def _half_up(total: int, count: int) -> int:
    return (2 * total + count) // (2 * count)


def price_figures(prices: Sequence[int]) -> PriceFigures:
    return PriceFigures(
        sales=len(prices), revenue=sum(prices), median=median(prices), average=average(prices)
    )


def length_label(length: int) -> str:
    return str(length) if length <= LONGEST_OWN_LENGTH else f"{LONGEST_OWN_LENGTH + 1}+"


LENGTH_LABELS = (*(str(n) for n in range(1, LONGEST_OWN_LENGTH + 1)), length_label(99))


def by_length(sales: Iterable[SaleRow]) -> tuple[LengthFigures, ...]:
    """Every length group, in order, including those without sales."""
    prices: dict[str, list[int]] = {label: [] for label in LENGTH_LABELS}
    for sale in sales:
        prices[length_label(len(sale.handle.key))].append(sale.price)
    return tuple(LengthFigures(label, price_figures(p)) for label, p in prices.items())


def series(
    sales: Iterable[SaleRow], *, now: datetime, start: datetime | None, step: timedelta
) -> tuple[Bucket, ...]:
    """Sales and revenue per ``step`` from ``start`` to now, the steps counted back from the
    end of today (UTC), so the last is the one running now; the first starts at ``start`` if
    a whole step would start before it. Empty when ``start`` is None (nothing to show)."""
    if start is None:
        return ()
    end = _midnight(now) + DAY
    count = max(1, math.ceil((end - start) / step))
    starts = [max(start, end - (count - i) * step) for i in range(count)]
    totals = [[0, 0] for _ in starts]
    for sale in sales:
        if not start <= sale.sold_at < end:
            continue
        # The step whose half-open interval [begin, begin + step) holds the sale.
        index = count - 1 - (end - sale.sold_at - timedelta.resolution) // step
        totals[index][0] += 1
        totals[index][1] += sale.price
    return tuple(
        Bucket(begin, n, revenue) for begin, (n, revenue) in zip(starts, totals, strict=True)
    )


def top_sales(sales: Iterable[SaleRow], second_chance: frozenset[int]) -> tuple[TopSale, ...]:
    """The highest prices, the earlier sale first on a tie."""
    ranked = sorted(sales, key=lambda s: (-s.price, s.sold_at, s.auction_id))[:TOP_SALES]
    return tuple(
        TopSale(s.handle, s.price, s.winner_id, s.sold_at, s.auction_id in second_chance)
        for s in ranked
    )


def _series_start(since: datetime | None, rows: ReportRows) -> datetime | None:
    """The period's start; for all time, midnight before the first close or sale (None if
    the server has neither)."""
    if since is not None:
        return since
    moments = [g.first_closed_at for g in rows.closed] + [s.sold_at for s in rows.sales]
    return _midnight(min(moments)) if moments else None


def build_report(
    guild_id: int, period: Period, now: datetime, rows: ReportRows, currency: Currency
) -> Report:
    since = period_start(period, now)
    sales = [s for s in rows.sales if (since is None or s.sold_at >= since) and s.sold_at <= now]
    closed = cancelled = sold = awaiting = 0
    for group in rows.closed:
        if group.status is Status.CANCELLED:
            cancelled += group.count
        elif group.status is Status.CLOSED:
            closed += group.count
            if group.sold:
                sold += group.count
            elif group.outcome is Outcome.SOLD and group.settlement != "unsold":
                awaiting += group.count
    return Report(
        guild_id=guild_id,
        period=period,
        since=since,
        until=now,
        currency=currency,
        closed=closed,
        cancelled=cancelled,
        sold=sold,
        awaiting_payment=awaiting,
        sales=price_figures([s.price for s in sales]),
        by_length=by_length(sales),
        top=top_sales(sales, rows.second_chance),
        defaults=rows.defaults,
        second_chance_sales=len(rows.second_chance),
        series=series(sales, now=now, start=_series_start(since, rows), step=period.bucket),
        bucket=period.bucket,
    )
