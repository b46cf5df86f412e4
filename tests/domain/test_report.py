"""The revenue report's figures, from rows as a store returns them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.auction import Outcome, Status
from bot.domain.errors import InvalidInput
from bot.domain.handles import Handle
from bot.domain.money import Currency
from bot.domain.report import (
    DAY,
    WEEK,
    ClosedGroup,
    Period,
    ReportRows,
    SaleRow,
    average,
    build_report,
    median,
    parse_period,
    period_start,
    series,
)
from bot.domain.report_csv import report_csv

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
TODAY = datetime(2026, 12, 3, tzinfo=UTC)
CURRENCY = Currency(name="gems")


def sale(key: str, price: int, at: datetime, auction_id: int = 0, winner: int = 10) -> SaleRow:
    return SaleRow(
        auction_id=auction_id or abs(hash((key, price, at))) % 10**6,
        handle=Handle(display=key.upper(), key=key),
        winner_id=winner,
        price=price,
        sold_at=at,
        released=False,
    )


def group(
    status: Status,
    outcome: Outcome | None,
    count: int,
    *,
    sold: bool = False,
    settlement: str | None = None,
) -> ClosedGroup:
    return ClosedGroup(status, outcome, sold, settlement, count, NOW - timedelta(days=2))


def rows(
    closed: list[ClosedGroup] | None = None,
    sales: list[SaleRow] | None = None,
    defaults: int = 0,
    second_chance: frozenset[int] = frozenset(),
) -> ReportRows:
    return ReportRows(closed or [], sales or [], defaults, second_chance)


# -- medians and averages ----------------------------------------------------------------------


def test_median_of_an_odd_count_is_the_middle_price() -> None:
    assert median([500, 100, 300]) == 300


def test_median_of_an_even_count_is_the_mean_of_the_middle_two_rounded_half_up() -> None:
    assert median([100, 200]) == 150
    assert median([100, 201]) == 151  # 150.5 rounds up
    assert median([400, 100, 300, 200]) == 250


def test_average_rounds_half_up_and_nothing_has_no_figures() -> None:
    assert average([1, 2]) == 2  # 1.5
    assert average([1, 1, 2]) == 1  # 1.33
    assert median([]) is None and average([]) is None


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=40))
def test_median_and_average_lie_between_the_lowest_and_highest_price(prices: list[int]) -> None:
    assert min(prices) <= median(prices) <= max(prices)  # type: ignore[operator]
    assert min(prices) <= average(prices) <= max(prices)  # type: ignore[operator]


# -- periods -----------------------------------------------------------------------------------


def test_periods_start_at_midnight_utc_and_count_today() -> None:
    assert period_start(Period.WEEK, NOW) == TODAY - 6 * DAY
    assert period_start(Period.MONTH, NOW) == TODAY - 29 * DAY
    assert period_start(Period.QUARTER, NOW) == TODAY - 89 * DAY
    assert period_start(Period.ALL, NOW) is None


def test_an_unknown_period_is_refused_naming_the_choices() -> None:
    assert parse_period(" 7D ") is Period.WEEK
    with pytest.raises(InvalidInput, match=r"7d, 30d, 90d, all"):
        parse_period("5d")


# -- figures -----------------------------------------------------------------------------------


def test_sell_through_is_sold_among_those_closed_with_a_result() -> None:
    report = build_report(
        1,
        Period.MONTH,
        NOW,
        rows(
            closed=[
                group(Status.CLOSED, Outcome.SOLD, 3, sold=True),
                group(Status.CLOSED, Outcome.NO_BIDS, 4),
                group(Status.CLOSED, Outcome.RESERVE_NOT_MET, 1),
                # Pledge: one winner has not paid yet, one sale nobody took in the end.
                group(Status.CLOSED, Outcome.SOLD, 1, settlement="due"),
                group(Status.CLOSED, Outcome.SOLD, 1, settlement="unsold"),
                group(Status.CANCELLED, Outcome.CANCELLED, 2),
            ]
        ),
        CURRENCY,
    )
    assert (report.closed, report.sold, report.cancelled) == (10, 3, 2)
    assert report.awaiting_payment == 1
    assert report.sell_through == pytest.approx(0.3)


def test_an_empty_period_has_zeros_no_rates_and_an_empty_series_for_all_time() -> None:
    for period in Period:
        report = build_report(1, period, NOW, rows(), CURRENCY)
        assert report.closed == report.sold == report.cancelled == 0
        assert report.sell_through is None
        assert (report.sales.sales, report.sales.revenue) == (0, 0)
        assert report.sales.median is None and report.sales.average is None
        assert report.top == ()
        assert [line.figures.sales for line in report.by_length] == [0] * 5
        assert all(b.sales == 0 and b.revenue == 0 for b in report.series)
    assert build_report(1, Period.ALL, NOW, rows(), CURRENCY).series == ()
    assert len(build_report(1, Period.WEEK, NOW, rows(), CURRENCY).series) == 7


def test_zero_sales_from_closed_auctions_is_a_zero_sell_through() -> None:
    report = build_report(
        1, Period.WEEK, NOW, rows(closed=[group(Status.CLOSED, Outcome.NO_BIDS, 2)]), CURRENCY
    )
    assert report.sell_through == 0.0
    assert report.sales.revenue == 0


def test_revenue_prices_by_length_and_top_sales() -> None:
    sales = [
        sale("a", 9000, NOW - timedelta(hours=1), auction_id=1),
        sale("bb", 4000, NOW - timedelta(days=1), auction_id=2),
        sale("cc", 2000, NOW - timedelta(days=2), auction_id=3),
        sale("ddd", 700, NOW - timedelta(days=3), auction_id=4),
        sale("eeee", 300, NOW - timedelta(days=4), auction_id=5),
        sale("fffff", 100, NOW - timedelta(days=5), auction_id=6),
        sale("ggggggggg", 50, NOW - timedelta(days=5), auction_id=7),
        # Outside the week: counted in nothing.
        sale("old", 99_999, TODAY - 7 * DAY, auction_id=8),
    ]
    report = build_report(
        1, Period.WEEK, NOW, rows(sales=sales, second_chance=frozenset({3})), CURRENCY
    )
    assert report.sales.sales == 7
    assert report.sales.revenue == 16_150
    assert report.sales.median == 700
    assert report.sales.average == 2307  # 16150 / 7 = 2307.1
    lengths = {line.label: line.figures for line in report.by_length}
    assert list(lengths) == ["1", "2", "3", "4", "5+"]
    assert (lengths["2"].sales, lengths["2"].revenue, lengths["2"].median) == (2, 6000, 3000)
    assert (lengths["5+"].sales, lengths["5+"].median, lengths["5+"].average) == (2, 75, 75)
    assert [t.handle.key for t in report.top] == ["a", "bb", "cc", "ddd", "eeee"]
    assert [t.second_chance for t in report.top] == [False, False, True, False, False]
    assert report.second_chance_sales == 1


def test_top_sales_break_ties_by_the_earlier_sale() -> None:
    sales = [
        sale("late", 500, NOW - timedelta(hours=1), auction_id=1),
        sale("early", 500, NOW - timedelta(hours=5), auction_id=2),
    ]
    report = build_report(1, Period.WEEK, NOW, rows(sales=sales), CURRENCY)
    assert [t.handle.key for t in report.top] == ["early", "late"]


def test_defaults_are_counted() -> None:
    assert build_report(1, Period.WEEK, NOW, rows(defaults=3), CURRENCY).defaults == 3


# -- the series --------------------------------------------------------------------------------


def test_the_daily_series_puts_each_sale_in_its_utc_day() -> None:
    sales = [
        sale("a", 100, TODAY),  # the first moment of today
        sale("b", 200, TODAY - timedelta(microseconds=1)),  # the last of yesterday
        sale("c", 400, TODAY - 6 * DAY),  # the first moment of the period
        sale("d", 800, NOW),
    ]
    buckets = build_report(1, Period.WEEK, NOW, rows(sales=sales), CURRENCY).series
    assert [b.start for b in buckets] == [TODAY - n * DAY for n in range(6, -1, -1)]
    assert [b.sales for b in buckets] == [1, 0, 0, 0, 0, 1, 2]
    assert [b.revenue for b in buckets] == [400, 0, 0, 0, 0, 200, 900]


def test_ninety_days_go_by_weeks_counted_back_from_today() -> None:
    start = TODAY - 89 * DAY
    sales = [sale("a", 100, start), sale("b", 10, TODAY - 7 * DAY), sale("c", 1, NOW)]
    report = build_report(1, Period.QUARTER, NOW, rows(sales=sales), CURRENCY)
    assert report.bucket == WEEK
    buckets = report.series
    assert len(buckets) == 13  # 12 whole weeks and the 6 days before them
    assert buckets[0].start == start  # clipped to the period's start
    assert buckets[1].start == TODAY + DAY - 12 * WEEK
    assert buckets[-1].start == TODAY - 6 * DAY
    assert (buckets[0].revenue, buckets[-2].revenue, buckets[-1].revenue) == (100, 10, 1)
    assert sum(b.sales for b in buckets) == 3


def test_all_time_starts_at_the_first_close_or_sale() -> None:
    first_close = ClosedGroup(Status.CLOSED, Outcome.NO_BIDS, False, None, 1, TODAY - 20 * DAY)
    report = build_report(
        1,
        Period.ALL,
        NOW,
        rows(closed=[first_close], sales=[sale("a", 5, TODAY - 3 * DAY)]),
        CURRENCY,
    )
    assert report.series[0].start == TODAY - 20 * DAY
    assert len(report.series) == 3  # 21 days: three weeks
    assert [b.revenue for b in report.series] == [0, 0, 5]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=90 * 86_400 * 10**6 - 1),
            st.integers(min_value=1, max_value=10**6),
        ),
        max_size=30,
    ),
    st.sampled_from([DAY, WEEK]),
)
def test_every_sale_in_the_span_lands_in_the_bucket_that_holds_it(
    offsets: list[tuple[int, int]], step: timedelta
) -> None:
    start = TODAY - 89 * DAY
    sales = [
        sale(f"h{i}", p, start + timedelta(microseconds=o)) for i, (o, p) in enumerate(offsets)
    ]
    sales = [s for s in sales if s.sold_at <= NOW]
    buckets = series(sales, now=NOW, start=start, step=step)
    assert sum(b.sales for b in buckets) == len(sales)
    assert sum(b.revenue for b in buckets) == sum(s.price for s in sales)
    ends = [b.start for b in buckets[1:]] + [TODAY + DAY]
    for s in sales:
        [holder] = [b for b, end in zip(buckets, ends, strict=True) if b.start <= s.sold_at < end]
        assert holder.sales >= 1


def test_the_csv_has_its_four_sections_and_no_cell_reads_as_a_formula() -> None:
    report = build_report(
        1, Period.WEEK, NOW, rows(sales=[sale("-x", 10, NOW, auction_id=1)]), CURRENCY
    )
    lines = report_csv(report).decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines] == (
        ["summary"] * 18 + ["by_length"] * 6 + ["top_sales"] * 2 + ["series"] * 8
    )
    assert "top_sales,1,'-X,10,10," in "\n".join(lines)
    assert "summary,currency,gems" in lines


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+gems", "-gems", "@gems"])
def test_a_currency_name_is_never_a_formula_in_the_csv(name: str) -> None:
    report = build_report(1, Period.WEEK, NOW, rows(), Currency(name=name))
    lines = report_csv(report).decode("utf-8-sig").splitlines()
    [line] = [line for line in lines if line.startswith("summary,currency,")]
    assert line == f"summary,currency,'{name}"
