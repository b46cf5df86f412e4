"""Smoke test of ``python -m benchmarks.pg_close_storm``: against the suite's PostgreSQL
server, one process and then two close the same storm, every auction once, and the figures
are printed. No speed assertions."""

from __future__ import annotations

import re

from tests.benchmarks.runner import imports_no_discord, quick_run
from tests.postgres_server import PostgresServer


def test_quick_storm_closes_each_auction_once_across_two_processes(
    postgres_server: PostgresServer,
) -> None:
    out = quick_run("pg_close_storm", "--url", postgres_server.url, timeout=300)
    shares: dict[str, list[int]] = {}
    for name in ("1 process", "2 processes"):
        match = re.search(
            rf"^RESULT pg close storm, {name}: lag p50 [\d,]+ ms, p99 [\d,]+ ms, max [\d,]+ ms;"
            r" 300 closed, each once \(per process: ([\d +]+)\)$", out, re.MULTILINE,
        )  # fmt: skip
        assert match, out
        shares[name] = [int(n) for n in match.group(1).split(" + ")]
    assert shares["1 process"] == [300]
    assert len(shares["2 processes"]) == 2 and sum(shares["2 processes"]) == 300
    assert re.search(r"^RESULT ratio p99 2 processes/1 process: [\d.]+$", out, re.MULTILINE), out
    assert "PostgreSQL" in out
    assert out.rstrip().endswith("consistency: ok")


def test_the_benchmark_does_not_import_discord() -> None:
    imports_no_discord("pg_close_storm", timeout=60)
