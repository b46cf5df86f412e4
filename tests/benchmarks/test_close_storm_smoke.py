"""Smoke test of ``python -m benchmarks.close_storm``: it runs, prints every figure and its
checks pass (each auction closed once, each message delivered once). No speed assertions."""

from __future__ import annotations

import re

from tests.benchmarks.runner import quick_run


def test_quick_close_storm_prints_every_figure_and_checks_pass() -> None:
    out = quick_run("close_storm", timeout=300)
    for name in ("closes alone", "with delivery"):
        assert re.search(
            rf"^RESULT close storm, {name}: lag p50 [\d,]+ ms, p99 [\d,]+ ms, max [\d,]+ ms;"
            r" 300 closed, each once$", out, re.MULTILINE,
        ), out  # fmt: skip
    assert re.search(r"^RESULT delivery pace: [\d,.]+ messages/s", out, re.MULTILINE), out
    assert re.search(r"^RESULT ratio p99 with delivery/alone: [\d.]+$", out, re.MULTILINE), out
    assert out.rstrip().endswith("consistency: ok")
