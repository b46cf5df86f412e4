"""Smoke test of ``python -m benchmarks.cold_start``: each start runs in its child process,
prints every figure, and each overdue auction was closed exactly once.

Nothing here asserts on speed or memory: such assertions flake on shared machines.
"""

from __future__ import annotations

import re

from tests.benchmarks.runner import imports_no_discord, quick_run

TIMEOUT = 60  # seconds; --quick takes a few
MS = r"[\d,]+ ms"


def test_quick_run_prints_every_figure_for_each_start() -> None:
    out = quick_run("cold_start", timeout=TIMEOUT)
    for heading in ("platform", "cpu", "cores", "python", "sqlite", "history", "each start"):
        assert heading in out
    for name, count in (("baseline", "0"), ("context", "1,000"), ("large", "5,000")):
        overdue = "nothing overdue" if name == "baseline" else rf"100 overdue closed by {MS}"
        pattern = (
            rf"^RESULT cold_start {name} \({count} open\): ready {MS}, peak RSS [\d.]+ MiB,"
            rf" loop blocked max {MS} \(p99 {MS}; worst run {MS}\), {overdue} \[median of 1\]$"
        )
        assert re.search(pattern, out, re.MULTILINE), f"no RESULT line for {name} in:\n{out}"
        assert re.search(rf"^legacy-currency UPDATE at open, {name}: [\d.]+ ms", out, re.M)
        assert re.search(rf"^worst run, {name}: ready {MS}, loop blocked {MS}", out, re.M)
    assert re.search(
        r"^RESULT cold_start scaling: -?[\d.]+ ms/1,000 open auctions, -?[\d.]+ KiB/1,000 open"
        r" auctions$",
        out,
        re.MULTILINE,
    )
    goals = re.search(r"^RESULT cold_start goals \(large\): (.*)$", out, re.MULTILINE)
    assert goals, out
    for goal in ("ready < 5 s", "peak RSS < 200 MiB", "loop never blocked > 100 ms",
                 "overdue closed within 5 s"):  # fmt: skip
        assert re.search(rf"{re.escape(goal)} (met|MISSED)", goals.group(1))
    assert "every overdue auction closed exactly once" in out
    assert out.rstrip().splitlines()[-2] == "consistency: ok"


def test_the_benchmark_does_not_import_discord() -> None:
    imports_no_discord("cold_start", "scale", timeout=TIMEOUT)
