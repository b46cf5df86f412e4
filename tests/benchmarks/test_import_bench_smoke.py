"""Smoke test of ``python -m benchmarks.import_bench``: it runs, prints every figure with its
baseline, and a wrong import stops it.

Nothing here asserts on speed: timed assertions flake on shared machines.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from benchmarks.import_bench import KINDS, ConsistencyError, _import, check_report, make_file
from bot.domain.inventory_csv import ReportLine
from tests.benchmarks.runner import imports_no_discord, quick_run

TIMEOUT = 60  # seconds; --quick takes about one


def test_quick_run_prints_every_figure_against_its_baseline() -> None:
    out = quick_run("import_bench", "--rows", "240", "--rounds", "2", timeout=TIMEOUT)
    for heading in ("platform", "cpu", "cores", "python", "sqlite", "rows", "wordfreq"):
        assert heading in out
    assert "240 (228 good, 12 bad:" in out
    for kind in KINDS:
        assert f"2 {kind}" in out
    assert re.search(r"^1 +[\d.]+ +[\d,]+ +[\d.]+ +[\d,]+$", out, re.MULTILINE)
    assert re.search(r"^2 +[\d.]+ +[\d,]+ +[\d.]+ +[\d,]+$", out, re.MULTILINE)
    assert re.search(
        r"^report: 228 added, 12 refused \(expected 228 / 12\); report CSV [\d,]+ bytes"
        r" \(241 lines\)$",
        out,
        re.MULTILINE,
    )
    assert re.search(
        r"^RESULT import: [\d,]+ rows/s \(240 rows in [\d.]+ s, median of 2\); 228 added,"
        r" 12 refused; report CSV [\d,]+ bytes$",
        out,
        re.MULTILINE,
    )
    assert re.search(r"^RESULT import baseline csv \+ sqlite3 executemany: [\d,]+ rows/s$", out,
                     re.MULTILINE)  # fmt: skip
    assert re.search(r"^RESULT ratio import/baseline: [\d.]+$", out, re.MULTILINE)
    assert re.search(r"^GOAL (met|missed): import [\d.]+ s, goal under 5 s$", out, re.MULTILINE)
    assert "consistency: ok" in out
    assert re.fullmatch(r"RESULT import_seconds=\d+\.\d{3} goal=5", out.rstrip().splitlines()[-1])


def test_the_file_is_the_same_every_run_with_5_percent_bad() -> None:
    plan = make_file(400)
    assert plan.data == make_file(400).data
    assert plan.data.startswith(b"handle,starting_bid,reserve,buy_now,tags,note\r\n")
    assert len(plan.bad) == 20 and plan.expected_added == 380
    assert sorted(plan.count(kind) for kind in KINDS) == [3, 3, 3, 3, 4, 4]


async def test_a_wrong_report_stops_the_run(tmp_path: Path) -> None:
    plan = make_file(60)
    path = tmp_path / "import.db"
    _, report = await _import(path, plan.data)
    check_report(report, plan, path)  # the real import is right
    with pytest.raises(ConsistencyError, match="added and"):
        check_report(dataclasses.replace(report, added=report.added + 1), plan, path)
    bad_row = min(plan.bad)
    lines = [
        ReportLine(line.number, line.handle, "added", "") if line.number == bad_row else line
        for line in report.lines
    ]
    with pytest.raises(ConsistencyError, match=f"row {bad_row} "):
        check_report(dataclasses.replace(report, lines=lines), plan, path)


def test_the_benchmark_does_not_import_discord() -> None:
    imports_no_discord("import_bench", timeout=TIMEOUT)
