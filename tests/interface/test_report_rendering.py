"""The report's embed: its period is named in UTC, as it is counted."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.money import Currency
from bot.domain.report import Period, ReportRows, build_report
from bot.interface.report_rendering import report_embed

NOW = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
EMPTY = ReportRows([], [], 0, frozenset())


def test_the_period_starts_on_its_utc_date_not_a_readers_local_one() -> None:
    report = build_report(1, Period.WEEK, NOW, EMPTY, Currency())
    description = report_embed(report).description or ""
    # A Discord timestamp shows midnight UTC as the day before to anyone west of UTC.
    assert "<t:" not in description
    assert "From midnight UTC on 27 November 2026 until now." in description


def test_all_time_starts_at_the_first_close_or_sale() -> None:
    report = build_report(1, Period.ALL, NOW, EMPTY, Currency())
    description = report_embed(report).description or ""
    assert description.startswith("From the server's first close or sale until now.")
