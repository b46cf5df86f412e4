"""``python -m bot report``: run as the operator runs it, against a database this test fills
through the core (on both stores), it writes the report's figures as CSV and the chart as a
PNG; bad arguments are refused in one line."""

from __future__ import annotations

import csv
import io
import os
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.storage.factory import open_url
from tests.both_stores import both_stores
from tests.conftest import ALICE, BOB, GUILD, MOD, make_service
from tests.fakes import RecordingTimer

__all__ = ["both_stores"]

ROOT = Path(__file__).resolve().parents[1]


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def config_for(folder: Path, db_url: str) -> None:
    database = (
        f'url = "{db_url}"'
        if db_url.startswith("postgresql")
        else f'path = "{db_url.removeprefix("sqlite:///")}"'
    )
    (folder / "config.toml").write_text(f"[database]\n{database}\n")


def sections(data: bytes) -> dict[str, list[dict[str, str]]]:
    """Each section's rows as dicts keyed by its own header row."""
    found: dict[str, list[dict[str, str]]] = {}
    headers: dict[str, list[str]] = {}
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        name, cells = row[0], row[1:]
        if name not in headers:
            headers[name] = cells
            found[name] = []
        else:
            found[name].append(dict(zip(headers[name], cells, strict=True)))
    return found


async def fill(db_url: str) -> None:
    """Three auctions closed an hour ago, two of them sold; one sold 40 days ago."""
    store = await open_url(db_url)
    try:
        clock = ManualClock(datetime.now(UTC) - timedelta(days=40))
        service = make_service(store, clock, RecordingTimer())  # type: ignore[arg-type]

        async def auction(handle: str, *bids: tuple[object, int]) -> None:
            await service.start_auction(GUILD, MOD, handle, starting_bid=100, duration="1h")
            for bidder, amount in bids:
                await service.bid_on_handle(GUILD, bidder, handle, amount)  # type: ignore[arg-type]
            await service.end_now(GUILD, MOD, handle)

        await auction("@ancient", (ALICE, 7000))
        clock.set(datetime.now(UTC) - timedelta(hours=1))
        await auction("@abc", (ALICE, 150), (BOB, 400))
        await auction("@wxyz", (ALICE, 900))
        await auction("@unsold")
        await service.set_setting(GUILD, MOD, "currency.name", "gems")
    finally:
        await store.close()


async def test_the_report_is_written_as_csv_with_its_chart(tmp_path: Path, db_url: str) -> None:
    await fill(db_url)
    config_for(tmp_path, db_url)
    done = run(
        tmp_path, "report", "--guild", str(GUILD), "--period", "30d", "--out", "report.csv",
        "--chart", "chart.png",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 closed, 2 sold, revenue 1,300 gems from 2 sale(s)" in done.stdout

    found = sections((tmp_path / "report.csv").read_bytes())
    assert list(found) == ["summary", "by_length", "top_sales", "series"]
    summary = {r["figure"]: r["value"] for r in found["summary"]}
    assert summary["period"] == "30d" and summary["currency"] == "gems"
    assert (summary["closed"], summary["sold"], summary["cancelled"]) == ("3", "2", "0")
    assert summary["sell_through"] == "0.6667"
    assert (summary["sales"], summary["revenue"]) == ("2", "1300")
    assert (summary["median_price"], summary["average_price"]) == ("650", "650")
    lengths = {r["length"]: r for r in found["by_length"]}
    assert list(lengths) == ["1", "2", "3", "4", "5+"]
    assert (lengths["3"]["sales"], lengths["3"]["revenue"]) == ("1", "400")
    assert (lengths["4"]["sales"], lengths["4"]["median_price"]) == ("1", "900")
    assert lengths["1"]["median_price"] == ""
    assert [(r["rank"], r["handle"], r["price"], r["buyer_id"]) for r in found["top_sales"]] == [
        ("1", "wxyz", "900", str(ALICE.user_id)),
        ("2", "abc", "400", str(BOB.user_id)),
    ]
    assert len(found["series"]) == 30
    assert sum(int(r["revenue"]) for r in found["series"]) == 1300

    chart = (tmp_path / "chart.png").read_bytes()
    assert chart[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", chart[16:24]) == (1000, 500)

    everything = run(
        tmp_path, "report", "--guild", str(GUILD), "--period", "all", "--out", "all.csv"
    )
    assert everything.returncode == 0, everything.stderr
    summary = {
        r["figure"]: r["value"] for r in sections((tmp_path / "all.csv").read_bytes())["summary"]
    }
    assert (summary["closed"], summary["revenue"], summary["since"]) == ("4", "8300", "")


@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--period", "5d"],
            "error: argument --period: must be one of 7d, 30d, 90d, all; not '5d'",
        ),
        (["--guild", "abc"], "error: argument --guild: must be the server's id"),
        (["--guild", "0"], "error: argument --guild: must be the server's id"),
        (["--out", "missing/folder/report.csv"], "error: cannot write missing/folder/report.csv:"),
    ],
)
async def test_bad_arguments_are_refused_in_one_line(
    tmp_path: Path, db_url: str, args: list[str], message: str
) -> None:
    await fill(db_url)
    config_for(tmp_path, db_url)
    options = {
        "--guild": str(GUILD),
        "--out": "report.csv",
        **dict(zip(args[::2], args[1::2], strict=True)),
    }
    done = run(tmp_path, "report", *[part for pair in options.items() for part in pair])
    assert done.returncode == (1 if args[0] == "--out" else 2)
    assert done.stderr.startswith(message), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "report.csv").exists()


def test_a_missing_database_or_option_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[database]\npath = "nowhere.db"\n')
    done = run(tmp_path, "report", "--guild", "5", "--out", "r.csv")
    assert done.returncode == 1
    assert done.stderr.startswith("error: there is no database at "), done.stderr
    assert "nowhere.db; check [database] path in config.toml" in done.stderr
    assert not (tmp_path / "nowhere.db").exists()
    missing = run(tmp_path, "report", "--out", "r.csv")
    assert missing.returncode == 2
    assert "the following arguments are required: --guild" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
