"""``python -m bot inventory import``: the shell's import, its report, and a crash in the
middle of one, which leaves all of its rows or none."""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUILD = "4242"


def _config(folder: Path) -> Path:
    config = folder / "config.toml"
    config.write_text('[database]\npath = "auctions.db"\n\n[handles]\nreserved = ["admin"]\n')
    return config


def _csv(folder: Path, rows: int, bad_every: int = 20) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["handle", "starting_bid", "tags"])
    for n in range(rows):
        writer.writerow([f"h{n}!" if n % bad_every == 7 else f"h{n}", str(100 + n), "bulk"])
    path = folder / "handles.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _run(folder: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        textwrap.dedent(prelude)
        + "\nimport sys\nfrom bot.__main__ import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_the_shell_import_adds_the_good_rows_and_writes_the_report(tmp_path: Path) -> None:
    _config(tmp_path)
    source = _csv(tmp_path, 100)
    done = _run(tmp_path, "inventory", "import", str(source), "--guild", GUILD)
    assert done.returncode == 0, done.stderr
    assert "95 handle(s) added, 5 refused" in done.stdout
    assert "row 9: `@h7!` is not a valid X handle" in done.stdout
    report = list(
        csv.DictReader(io.StringIO((tmp_path / "handles.csv.report.csv").read_text("utf-8-sig")))
    )
    assert len(report) == 100 and sum(r["result"] == "added" for r in report) == 95
    assert _count(tmp_path / "auctions.db", "inventory") == 95
    # The same file again: every handle is already there, nothing is added twice.
    again = _run(
        tmp_path, "inventory", "import", str(source), "--guild", GUILD, "--report", "again.csv"
    )
    assert again.returncode == 0 and "0 handle(s) added, 100 refused" in again.stdout
    assert _count(tmp_path / "auctions.db", "inventory") == 95


def test_a_file_that_is_not_a_csv_of_handles_is_refused_in_one_line(tmp_path: Path) -> None:
    _config(tmp_path)
    (tmp_path / "x.csv").write_text("name,price\nabc,1\n")
    done = _run(tmp_path, "inventory", "import", "x.csv", "--guild", GUILD)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: The file has no `handle` column; its header must name the columns, "
        "e.g. handle,starting_bid,reserve,buy_now,tags,note."
    ]
    missing = _run(tmp_path, "inventory", "import", "nothere.csv", "--guild", GUILD)
    assert missing.returncode == 1 and "cannot read nothere.csv" in missing.stderr


# Kills the process from inside the import's transaction, after half of its rows are written
# and before COMMIT: what a power cut or an OOM kill at the worst moment does.
CRASH_MIDWAY = """
import os, signal
from bot.storage.sql import inventory as adapter
_add = adapter.SqlInventory.add_many
def add_many(self, guild_id, items, *, by, at):
    half = len(items) // 2
    _add(self, guild_id, items[:half], by=by, at=at)
    os.kill(os.getpid(), signal.SIGKILL)
adapter.SqlInventory.add_many = add_many
"""


@pytest.mark.parametrize("rows", [40, 10_000])
def test_an_import_killed_midway_leaves_none_of_its_rows(tmp_path: Path, rows: int) -> None:
    _config(tmp_path)
    source = _csv(tmp_path, rows)
    killed = _run(
        tmp_path, "inventory", "import", str(source), "--guild", GUILD, prelude=CRASH_MIDWAY
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    db = tmp_path / "auctions.db"
    assert _count(db, "inventory") == 0
    assert _count(db, "audit_log") == 0
    assert _count(db, "outbox") == 0
    done = _run(tmp_path, "inventory", "import", str(source), "--guild", GUILD)
    assert done.returncode == 0, done.stderr
    expected = rows - len(range(7, rows, 20))
    assert _count(db, "inventory") == expected
