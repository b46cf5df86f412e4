"""Smoke test of ``python -m benchmarks.burst --quick``: both bots answer a small burst through
the emulator, every figure is printed and the stored bids match what members were told.

Nothing here asserts on speed: timed assertions flake on shared machines.
"""

from __future__ import annotations

import re

from tests.benchmarks.runner import quick_run

TIMEOUT = 90  # seconds; --quick takes a few


def test_quick_burst_prints_every_figure_and_checks_the_stored_bids() -> None:
    out = quick_run("burst", timeout=TIMEOUT)
    for heading in ("platform", "cpu", "cores", "python"):
        assert re.search(rf"^  {heading} +\S", out, re.MULTILINE), heading
    assert re.search(r"^  round 1 bot +[\d,]+ answered/s .* \d+ accepted, \d+ refused", out, re.M)
    assert re.search(r"^  round 1 ack-only +[\d,]+ answered/s ", out, re.MULTILINE)
    for name in (
        "bot (python -m bot)",
        "ack-only discord.py bot (discord.py's connector, no limit)",
        "ack-only discord.py bot with the bot's connection pool",
    ):
        block = out[out.index(f"\n{name}\n") :]
        assert re.search(r"^  answered/s: median [\d,]+ \(rounds: [\d,]+\)$", block, re.M)
        assert re.search(r"^  late first responses \(> 3 s after creation\): \d+ ", block, re.M)
        assert re.search(r"^  answered by a follow-up: \d+ .*ready within 3 s: \d+$", block, re.M)
        assert re.search(r"^  time to first response: p50 [\d,]+ ms, p99 [\d,]+ ms", block, re.M)
        assert re.search(r"^  CPU per interaction, bot process: median ", block, re.M)
        assert re.search(r"^  connections opened per burst: \d+", block, re.M)
    assert re.search(r"^RESULT burst ratio bot/ack-only: \d+\.\d\d$", out, re.MULTILINE)
    assert re.search(
        r"^RESULT burst ratio bot/ack-only with the same pool: \d+\.\d\d$", out, re.MULTILINE
    )
    assert re.search(r"^  round 1 ack\+pool +[\d,]+ answered/s ", out, re.MULTILINE)
    assert out.rstrip().endswith("consistency: ok")
