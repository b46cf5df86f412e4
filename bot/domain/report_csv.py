"""The revenue report as CSV (``python -m bot report --out FILE``): the same figures as the
embed, in four sections. Every row starts with its section's name, and each section starts
with a header row of its own, so a spreadsheet filter or ``grep`` on the first column picks
one section out:

- ``summary,figure,value``: one row per figure;
- ``by_length,length,sales,revenue,median_price,average_price``: one row per length group;
- ``top_sales,rank,handle,price,buyer_id,sold_at,second_chance``;
- ``series,start,sales,revenue``: one row per day or week.

Times are ISO 8601 in UTC; amounts are whole numbers of the server's currency (named in the
summary); a figure with no value (a median without sales) is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from bot.domain.report import DAY, Report

# A cell a spreadsheet would run as a formula gets a leading apostrophe. Handles are the only
# text here besides the currency's name (any text an admin sets); their rules allow no such
# start today, and a server's own rules may change.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _time(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def _opt(value: int | None) -> str | int:
    return "" if value is None else value


def summary_rows(report: Report) -> list[tuple[str, str | int]]:
    rate = report.sell_through
    return [
        ("guild_id", report.guild_id),
        ("period", report.period.value),
        ("since", _time(report.since)),
        ("until", _time(report.until)),
        ("currency", _text(report.currency.name)),
        ("closed", report.closed),
        ("sold", report.sold),
        ("sell_through", "" if rate is None else f"{rate:.4f}"),
        ("awaiting_payment", report.awaiting_payment),
        ("cancelled", report.cancelled),
        ("sales", report.sales.sales),
        ("revenue", report.sales.revenue),
        ("median_price", _opt(report.sales.median)),
        ("average_price", _opt(report.sales.average)),
        ("defaults", report.defaults),
        ("second_chance_sales", report.second_chance_sales),
        ("series_step", "day" if report.bucket == DAY else "week"),
    ]


def report_csv(report: Report) -> bytes:
    """UTF-8 with a BOM, so spreadsheet apps read it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)

    def section(name: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
        writer.writerow((name, *header))
        for row in rows:
            writer.writerow((name, *row))

    section("summary", ("figure", "value"), summary_rows(report))
    section(
        "by_length",
        ("length", "sales", "revenue", "median_price", "average_price"),
        (
            (line.label, f.sales, f.revenue, _opt(f.median), _opt(f.average))
            for line in report.by_length
            for f in [line.figures]
        ),
    )
    section(
        "top_sales",
        ("rank", "handle", "price", "buyer_id", "sold_at", "second_chance"),
        (
            (
                rank, _text(sale.handle.display), sale.price, sale.winner_id,
                _time(sale.sold_at), "yes" if sale.second_chance else "no",
            )
            for rank, sale in enumerate(report.top, start=1)
        ),
    )  # fmt: skip
    section(
        "series",
        ("start", "sales", "revenue"),
        ((_time(b.start), b.sales, b.revenue) for b in report.series),
    )
    return out.getvalue().encode("utf-8-sig")
