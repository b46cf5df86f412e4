"""Smoke test of ``python -m benchmarks.bench``: it runs, prints every figure and its state checks pass.

Nothing here asserts on speed: timed assertions flake on shared machines.
"""

from __future__ import annotations

import re

import pytest

from tests.benchmarks.runner import imports_no_discord, quick_run

TIMEOUT = 120  # seconds; --quick takes about one


def _bench(*args: str) -> str:
    return quick_run("bench", *args, timeout=TIMEOUT)


def _rate(output: str, label: str) -> float:
    match = re.search(rf"^RESULT {re.escape(label)}: ([\d,]+) bids/s", output, re.MULTILINE)
    assert match, f"no RESULT line for {label!r} in:\n{output}"
    return float(match.group(1).replace(",", ""))


def test_quick_run_prints_every_figure_and_checks_the_stored_state() -> None:
    out = _bench()
    for heading in ("platform", "cpu", "cores", "python", "sqlite", "synchronous=normal"):
        assert heading in out
    for label in (
        "service sequential",
        "service concurrent (C=50)",
        "baseline sqlite3 sequential",
        "naive aiosqlite (5 calls/bid)",
    ):
        assert _rate(out, label) > 0
    assert re.search(r"^RESULT ratio service/baseline: sequential [\d.]+, concurrent [\d.]+$",
                     out, re.MULTILINE)  # fmt: skip
    assert "p50" in out and "p99" in out
    assert out.rstrip().endswith("consistency: ok")


@pytest.mark.parametrize("args", [("--bidding", "receipt", "--no-naive", "--synchronous", "full")])
def test_refused_bids_and_full_sync_leave_a_consistent_store(args: tuple[str, ...]) -> None:
    # Bidding only the minimum from one's own receipt makes most concurrent bids lose the race
    # (BidTooLow) and exercises proxy answers; the stored state must still add up.
    out = _bench(*args)
    assert "synchronous=full" in out
    assert re.search(r"\d+ accepted, [\d,]+ refused", out)
    assert "consistency: ok" in out


def test_the_benchmark_does_not_import_discord() -> None:
    imports_no_discord("bench", timeout=TIMEOUT)
