"""``python -m bot migrate-db``: a SQLite history built through the real use cases moves to
PostgreSQL row for row, and the bot carries on there; a target that is not empty, a SQLite
file a bot holds and bad arguments are refused, changing nothing."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.auction import PlacedBid, replay
from bot.domain.errors import AuctionError
from bot.storage.factory import open_url
from bot.storage.migrate_db import migrate_db
from bot.storage.postgres import load as load_module
from bot.storage.sqlite.export import SqliteSnapshot, snapshot
from bot.storage.sqlite.store import SqliteStore
from bot.storage.transfer import CopyMismatch, Table, TargetNotEmpty, TransferError, copy_order
from tests.conftest import GUILD, MOD, OTHER_GUILD, make_core
from tests.fakes import RecordingTimer

ROOT = Path(__file__).resolve().parents[2]
AUCTIONS = 240
WALLET_AUCTIONS = 3  # on the other server, after the others
BIDDERS = [Actor(user_id=1000 + n) for n in range(7)]


@pytest.fixture
def store_kind() -> str:
    return "sqlite"  # the source is SQLite; each test names its PostgreSQL target itself


def _csv(names: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["handle", "starting_bid", "reserve", "buy_now", "tags", "note"])
    writer.writerows([name, "50", "", "", "stock", "from the shelf"] for name in names)
    return out.getvalue().encode()


async def build_history(path: Path, clock: ManualClock) -> None:
    """A community's history through the use cases: settings, inventory, a drop, hundreds of
    auctions with thousands of bids (proxies, refusals), voids, closes, a cancel, a release."""
    store = await SqliteStore.open(path)
    try:
        house = make_core(store, clock, RecordingTimer()).house
        await house.set_outbid_dms(GUILD, BIDDERS[0], enabled=False)
        await house.set_setting(OTHER_GUILD, MOD, "currency.name", "gems")
        await house.stock.import_csv(GUILD, MOD, _csv([f"shelf{n}" for n in range(12)]))
        await house.drops.create(GUILD, MOD, start="in 5h", count=3, interval="10m", duration="1h")
        for n in range(AUCTIONS):
            # A third run for 3 hours: still open after the others close.
            await house.start_auction(
                GUILD, MOD, f"h{n}", starting_bid=100 + n, duration="3h" if n % 3 == 0 else "1h",
                reserve=5_000 if n % 11 == 0 else None,
            )  # fmt: skip
        for round_ in range(14):
            for n in range(AUCTIONS):
                bidder = BIDDERS[(n + round_) % len(BIDDERS)]
                amount = 100 + n + round_ * 150 + (n % 7)
                maximum = amount + 60 if round_ % 4 == 1 else None
                # A bid the rules refuse (a leader bidding again, below the minimum) is part
                # of a real history too: it leaves nothing behind.
                with contextlib.suppress(AuctionError):
                    await house.bid_on_handle(GUILD, bidder, f"h{n}", amount, maximum)
            clock.advance(timedelta(seconds=7))
        for n in range(0, AUCTIONS, 17):
            with contextlib.suppress(AuctionError):
                await house.void_bids(
                    GUILD, MOD, f"h{n}", BIDDERS[n % len(BIDDERS)].user_id, "shill"
                )
        await house.cancel(GUILD, MOD, "h5", "listed by mistake")
        # The other server pays from wallets: a ledger with holds, releases and a capture.
        await house.set_setting(OTHER_GUILD, MOD, "money.mode", "wallet")
        for bidder in BIDDERS[:3]:
            await house.credit(OTHER_GUILD, MOD, bidder.user_id, 10_000, "welcome")
        for n in range(WALLET_AUCTIONS):
            await house.start_auction(OTHER_GUILD, MOD, f"w{n}", starting_bid=100, duration="1h")
            for step, bidder in enumerate(BIDDERS[:3]):  # each outbids the one before
                await house.bid_on_handle(
                    OTHER_GUILD, bidder, f"w{n}", 200 + 600 * step, 1_000 + 1_000 * step
                )
        clock.advance(timedelta(minutes=90))
        await house.resume()  # closes the hour-long auctions, as a restart would
        await house.release_handle(GUILD, MOD, "h1", "the winner never paid")
        await store.on_connection(
            lambda c: c.executemany(
                "INSERT INTO interaction_writes (interaction_id, seq, at) VALUES (?, ?, ?)",
                [(900 + n, 1, 1_700_000_000_000_000 + n) for n in range(5)],
            )
        )
        await store.on_connection(
            lambda c: c.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES ('commands', 'abc', 1)"
            )
        )
    finally:
        await store.close()


@pytest.fixture
async def history(db_path: Path, clock: ManualClock) -> Path:
    await build_history(db_path, clock)
    return db_path


def sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: conn.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall() for name in names
        }


def postgres_rows(url: str, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1, 2"
        return [tuple(r) for r in conn.execute(query.encode())]


def sqlite_columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def postgres_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " AND table_name != 'schema_migrations'"
            )
        ]
        return {n: conn.execute(f"SELECT COUNT(*) FROM {n}".encode()).fetchone()[0] for n in names}  # type: ignore[index]


async def test_the_whole_history_moves_row_for_row_and_the_bot_carries_on_there(
    history: Path, postgres_url: str, clock: ManualClock
) -> None:
    before = sqlite_tables(history)
    assert len(before["auctions"]) == AUCTIONS + WALLET_AUCTIONS and len(before["bids"]) > 2_000
    movements = {row[2] for row in before["ledger_entries"]}
    assert movements == {"grant", "hold", "release", "capture"}, movements
    assert before["sold_handles"] and before["inventory"] and before["scheduled_starts"]
    assert any(row[8] is not None for row in before["bids"])  # some bids were voided

    moved = await migrate_db(history, postgres_url)

    assert dict(moved.tables) == {name: len(rows) for name, rows in before.items()}
    order = [name for name, _ in moved.tables]
    assert order.index("auctions") < order.index("bids") < order.index("interaction_writes")
    assert order.index("inventory") < order.index("scheduled_starts")
    for name, rows in before.items():
        assert postgres_rows(postgres_url, name, sqlite_columns(history, name)) == rows, name
    assert sqlite_tables(history) == before  # the source is only read

    store = await open_url(postgres_url)
    try:
        house = make_core(store, clock, RecordingTimer()).house
        # Every copied auction's stored standing is what its bids add up to.
        for auction_id in (1, 2, 18, 35, AUCTIONS):
            auction = await store.read(lambda uow, a=auction_id: uow.auctions.get(a))
            bids = await store.read(lambda uow, a=auction_id: uow.auctions.bids(a))
            standing = replay(
                auction.terms,
                [PlacedBid(b.bidder_id, b.amount, b.maximum) for b in bids if b.voided_at is None],
                buy_now_enabled=False,
            )
            assert standing == auction.standing, auction_id
        opened = await house.get_auction(GUILD, "h3")
        assert opened.is_open and opened.price is not None
        with pytest.raises(AuctionError, match=f"{opened.minimum_bid:,}"):
            await house.bid_on_handle(GUILD, BIDDERS[6], "h3", opened.minimum_bid - 1)
        accepted = await house.bid_on_handle(GUILD, BIDDERS[6], "h3", opened.minimum_bid)
        assert accepted.auction.leader_id == BIDDERS[6].user_id
        assert accepted.bid_id == max(row[0] for row in before["bids"]) + 1
        fresh = await house.start_auction(GUILD, MOD, "brandnew", starting_bid=10, duration="1h")
        assert fresh.id == AUCTIONS + WALLET_AUCTIONS + 1
        # The ledger came along: its balances are what its entries add up to, and it goes on.
        assert await store.read(lambda uow: uow.ledger.replay_check(OTHER_GUILD)) == []
        credited = await house.credit(OTHER_GUILD, MOD, BIDDERS[0].user_id, 5, "after the move")
        assert credited.entry_id == max(row[0] for row in before["ledger_entries"]) + 1
        assert fresh.revision > max(row[29] for row in before["auctions"])
        # The sold registry came along: a handle sold on SQLite cannot be listed again.
        with pytest.raises(AuctionError):
            await house.start_auction(GUILD, MOD, "h2", starting_bid=10, duration="1h")
    finally:
        await store.close()


async def test_a_target_that_holds_anything_is_refused_and_left_as_it_was(
    history: Path, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('x', 'y', 1)")
    with pytest.raises(TargetNotEmpty, match=r"bot_state has 1 row\(s\)") as refused:
        await migrate_db(history, postgres_url)
    assert refused.value.occupied == (("bot_state", 1),)
    assert "nothing was changed" in str(refused.value)
    counts = postgres_counts(postgres_url)
    assert counts.pop("bot_state") == 1 and set(counts.values()) == {0}


async def test_a_sqlite_file_a_bot_is_running_on_is_refused(
    history: Path, postgres_url: str
) -> None:
    running = await SqliteStore.open(history, exclusive=True)
    try:
        with pytest.raises(TransferError, match="stop the bot first"):
            await migrate_db(history, postgres_url)
    finally:
        await running.close()
    assert set(postgres_counts(postgres_url).values()) == {0}


async def test_a_missing_sqlite_file_is_refused_and_not_created(
    tmp_path: Path, postgres_url: str
) -> None:
    with pytest.raises(TransferError, match="there is no SQLite database"):
        await migrate_db(tmp_path / "nowhere.db", postgres_url)
    assert not (tmp_path / "nowhere.db").exists()


async def test_a_copy_that_differs_from_its_source_is_rolled_back(
    history: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check compares what PostgreSQL holds with a second read of the source: a source
    that reads differently the second time stands for a copy that lost or changed a row."""
    real_rows = SqliteSnapshot.rows
    seen: set[str] = set()

    def rows(self: SqliteSnapshot, table: Table) -> Any:
        first = table.name not in seen
        seen.add(table.name)
        for row in real_rows(self, table):
            if table.name == "bids" and not first and row[0] == 7:
                yield (*row[:3], row[3] + 1, *row[4:])  # bid 7's amount, as if changed
            else:
                yield row

    monkeypatch.setattr(SqliteSnapshot, "rows", rows)
    with pytest.raises(CopyMismatch) as mismatch:
        await migrate_db(history, postgres_url)
    assert any(d.startswith("bids: SQLite has (7,") for d in mismatch.value.differences)
    assert set(postgres_counts(postgres_url).values()) == {0}
    # The identity counters went back with the rows: the next auction is still #1.
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "INSERT INTO auctions (guild_id, handle_key, handle_display, platform, starting_bid,"
            " increment_absolute, increment_percent, anti_snipe_window_us,"
            " anti_snipe_extension_us, max_extensions, opened_by, opened_at, ends_at)"
            " VALUES (1, 'a', 'a', 'x', 1, 1, 0, 0, 0, 0, 1, 0, 1) RETURNING id"
        ).fetchone()
        assert row is not None and row[0] == 1
        conn.rollback()


def test_a_sqlite_table_postgres_lacks_is_named(history: Path, postgres_url: str) -> None:
    with sqlite3.connect(history) as conn:
        conn.execute("CREATE TABLE loyalty (user_id INTEGER PRIMARY KEY, points INTEGER)")
    with snapshot(history) as source, pytest.raises(TransferError, match="no table loyalty"):
        load_module.load(postgres_url, source)


async def test_a_table_only_postgres_has_stays_empty_and_is_named(
    history: Path, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE webhooks (id BIGINT GENERATED BY DEFAULT AS IDENTITY)")
    moved = await migrate_db(history, postgres_url)
    assert moved.left_empty == ("webhooks",)
    assert "webhooks" not in dict(moved.tables)
    assert postgres_counts(postgres_url)["webhooks"] == 0


def test_tables_follow_the_tables_they_reference() -> None:
    parents = {"bids": frozenset({"auctions"}), "starts": frozenset({"inventory", "auctions"})}
    assert copy_order(["bids", "starts", "inventory", "auctions"], parents) == [
        "inventory",
        "auctions",
        "bids",
        "starts",
    ]
    with pytest.raises(TransferError, match="cycle"):
        copy_order(["a", "b"], {"a": frozenset({"b"}), "b": frozenset({"a"})})


def run_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_the_command_prints_each_table_and_what_to_do_next(
    history: Path, postgres_url: str
) -> None:
    before = sqlite_tables(history)
    target = postgres_url.replace("postgres@", "postgres:s3cret@")  # trust auth ignores it
    done = run_cli(history.parent, "migrate-db", "--from", f"sqlite:///{history}", "--to", target)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name, rows in before.items():
        assert any(line.split()[:2] == [name, f"{len(rows):,}"] for line in lines), name
    assert "PostgreSQL now holds everything; point [database] url (or DATABASE_URL)" in lines[-1]
    assert lines[-2].startswith(f"Moved {sum(map(len, before.values())):,} row(s)")
    assert "s3cret" not in done.stdout + done.stderr
    # Again: the target now holds the history, so it is refused, in one line.
    again = run_cli(history.parent, "migrate-db", "--from", f"sqlite:///{history}", "--to", target)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.startswith("error: ") and len(again.stderr.splitlines()) == 1
    assert "is not empty (auctions has" in again.stderr and "s3cret" not in again.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--to", "postgresql://u@h/db"], "--from"),
        (["--from", "sqlite:///a.db"], "--to"),
        (["--from", "a.db", "--to", "postgresql://u@h/db"], "--from must be a sqlite:/// URL"),
        (["--from", "sqlite:///a.db", "--to", "mysql://u:pw@h/db"], "--to must be a postgresql://"),
        (["--from", "sqlite:///a.db", "--to", "postgresql://u@h:port/db"], "not a usable URL"),
    ],
    ids=["no-from", "no-to", "from-not-sqlite", "to-not-postgres", "bad-port"],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    done = run_cli(tmp_path, "migrate-db", *args)
    assert done.returncode == 2, done
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert "pw" not in done.stderr


def test_an_unreachable_server_is_one_line_and_exit_1(history: Path) -> None:
    with socket_port() as port:
        url = f"postgresql://u:hunter2@127.0.0.1:{port}/db"
        done = run_cli(history.parent, "migrate-db", "--from", f"sqlite:///{history}", "--to", url)
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot connect to"), lines
    assert f"postgresql://u@127.0.0.1:{port}/db" in lines[0] and "hunter2" not in done.stderr


@contextlib.contextmanager
def socket_port() -> Any:
    """A local port nothing listens on (held bound, not listening, while the test runs)."""
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]
