"""Smoke test of ``python -m benchmarks.history``: it runs, prints every figure with its
baseline, and its state checks pass.

Nothing here asserts on speed: timed assertions flake on shared machines.
"""

from __future__ import annotations

import re

from tests.benchmarks.runner import imports_no_discord, quick_run

TIMEOUT = 60  # seconds; --quick takes a few
MS = r"[\d,]+\.\d+ ms"


def test_quick_run_prints_every_figure_against_its_baseline() -> None:
    out = quick_run("history", timeout=TIMEOUT)
    for heading in ("platform", "cpu", "cores", "python", "sqlite", "seeded", "baseline"):
        assert heading in out
    for name in ("bid latency", "dispatcher wake-up delivering 50", "dispatcher idle wake-up"):
        pattern = (
            rf"^RESULT history {re.escape(name)}: seeded median {MS} \(p99 {MS}\), baseline"
            rf" median {MS} \(p99 {MS}\), ratio [\d.]+ \((within 10%|MORE than 10% slower)\),"
            r" p99 ratio [\d.]+$"
        )
        assert re.search(pattern, out, re.MULTILINE), f"no RESULT line for {name!r} in:\n{out}"
    assert re.search(r"^RESULT history growth: [\d,]+ bytes/bid, [\d,]+ bytes/auction$", out, re.M)
    pruning = re.search(
        rf"^RESULT history pruning: ([\d,]+) deleted in [\d.]+ s, longest transaction {MS},"
        r" ([\d,]+) pending untouched$",
        out,
        re.MULTILINE,
    )
    assert pruning, out
    assert int(pruning.group(1).replace(",", "")) > 0  # the clock was moved: history was old
    assert pruning.group(2) == "100"  # the quick run's waiting DMs, all still pending
    assert re.search(r"^RESULT history goal \(each within 10% of the baseline\): (met|MISSED)$",
                     out, re.MULTILINE)  # fmt: skip
    assert "every queued message delivered exactly once" in out
    assert "consistency: ok" in out


def test_the_benchmark_does_not_import_discord() -> None:
    imports_no_discord("history", "scale", timeout=TIMEOUT)
