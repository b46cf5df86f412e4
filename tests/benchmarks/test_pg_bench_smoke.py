"""Smoke test of ``python -m benchmarks.pg_bench``: against the suite's PostgreSQL server it
runs, prints every figure and the driver choice, and its state checks pass. No speed
assertions: timed assertions flake on shared machines."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.benchmarks.runner import imports_no_discord, quick_run
from tests.postgres_server import PostgresServer

TIMEOUT = 300  # seconds; --quick takes about ten


def _rate(output: str, label: str) -> float:
    match = re.search(rf"^RESULT {re.escape(label)}: ([\d,]+) bids/s", output, re.MULTILINE)
    assert match, f"no RESULT line for {label!r} in:\n{output}"
    return float(match.group(1).replace(",", ""))


def test_quick_run_prints_every_figure_and_checks_the_stored_state(
    postgres_server: PostgresServer,
) -> None:
    out = quick_run("pg_bench", "--url", postgres_server.url, timeout=TIMEOUT)
    for heading in ("platform", "cpu", "cores", "python", "PostgreSQL", "psycopg", "load"):
        assert heading in out, out
    for label in (
        "service (C=20, pool 10)",
        "baseline place_bid on plain psycopg (20 threads)",
        "driver psycopg 3 + pool, worker threads",
        "driver asyncpg pool, async",
    ):
        assert _rate(out, label) > 0
    assert re.search(r"^RESULT ratio service/baseline: [\d.]+$", out, re.MULTILINE), out
    assert re.search(r"^RESULT ratio driver asyncpg/psycopg: [\d.]+$", out, re.MULTILINE), out
    assert re.search(r"p50 [\d.]+ ms, p99 [\d.]+ ms", out), out
    assert "driver choice: the store uses psycopg 3" in out
    assert "checked in all 4 databases" in out
    assert out.rstrip().endswith("consistency: ok")


def test_without_asyncpg_the_driver_phase_says_how_to_compare(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    # A package of that name that fails to import hides an installed asyncpg.
    (tmp_path / "asyncpg").mkdir()
    (tmp_path / "asyncpg" / "__init__.py").write_text("raise ImportError('hidden')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = quick_run("pg_bench", "--url", postgres_server.url, timeout=TIMEOUT, env=env)
    assert "pip install asyncpg to compare" in out
    assert "RESULT driver asyncpg" not in out
    assert _rate(out, "driver psycopg 3 + pool, worker threads") > 0
    assert "checked in all 3 databases" in out
    assert out.rstrip().endswith("consistency: ok")


def test_the_benchmark_does_not_import_discord() -> None:
    imports_no_discord("pg_bench", timeout=TIMEOUT)
