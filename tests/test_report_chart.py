"""The report's chart: a PNG of the expected size, drawn on a worker thread, with or without
sales; and matplotlib stays in the one module allowed to import it."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import report_chart
from bot.domain.handles import Handle
from bot.domain.money import Currency
from bot.domain.report import Period, Report, ReportRows, SaleRow, build_report

NOW = datetime(2026, 12, 3, 10, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


def report(period: Period, sales: int) -> Report:
    rows = [
        SaleRow(
            n,
            Handle(display=f"h{n}", key=f"h{n}"),
            10,
            100 * (n + 1),
            NOW - timedelta(days=n),
            False,
        )
        for n in range(sales)
    ]
    return build_report(1, period, NOW, ReportRows([], rows, 0, frozenset()), Currency())


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(
    ("period", "sales"),
    [(Period.WEEK, 5), (Period.MONTH, 40), (Period.QUARTER, 60), (Period.ALL, 0)],
)
def test_the_chart_is_a_png_of_the_expected_size(period: Period, sales: int) -> None:
    data = report_chart.render(report(period, sales))
    assert png_size(data) == report_chart.SIZE == (1000, 500)
    assert data.endswith(b"IEND\xaeB`\x82")


async def test_the_chart_is_drawn_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    draw = report_chart.render

    def spy(found: Report) -> bytes:
        threads.append(threading.current_thread())
        return draw(found)

    monkeypatch.setattr(report_chart, "render", spy)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    data = await report_chart.chart_png(report(Period.MONTH, 10))
    ticker.cancel()
    assert png_size(data) == (1000, 500)
    assert threads and threads[0] is not threading.main_thread()
    assert ticks > 0  # the loop ran other work while the chart was drawn


def test_only_the_chart_module_may_import_matplotlib() -> None:
    def ruff(path: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--select",
                "TID251",
                "--stdin-filename",
                path,
                "-",
            ],
            input="import matplotlib\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )

    refused = ruff("bot/domain/stray.py")
    assert refused.returncode == 1
    assert "Only bot/report_chart.py uses matplotlib" in refused.stdout
    assert ruff("bot/report_chart.py").returncode == 0


def test_importing_the_chart_module_does_not_load_matplotlib() -> None:
    code = "import sys, bot.report_chart; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["$$", "$x^$", "$\\foo$", "US$ ($)"])
def test_a_currency_name_with_dollar_signs_is_drawn_as_text(name: str) -> None:
    found = report(Period.WEEK, 3)
    data = report_chart.render(replace(found, currency=Currency(name=name)))
    assert png_size(data) == (1000, 500)
