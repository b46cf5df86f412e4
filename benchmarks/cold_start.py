"""A start with 100,000 open auctions: ``python -m benchmarks.cold_start [--quick]``.

Databases seeded with raw ``sqlite3`` (real files in WAL mode): 50,000 closed auctions of
history with their bids and delivered messages in each, and then

* **large**: 100,000 open auctions with live posts -- 1,000 overdue (ended while the bot was
  down; every other one has bids, so it sells), 500 ending within the hour, the rest over
  the next seven days; one post in a hundred missed its last change;
* **context**: the same with 10,000 open auctions (the same 1,000 overdue and 500 soon), so
  the difference from **large** is the cost of 90,000 auctions that only wait;
* **baseline**: the history alone, no open auction.

Each start runs in a child process of its own, so its peak RSS is that start's alone. It
does what ``python -m bot`` and the bot's ``setup_hook`` do before Discord matters: open
the store (``SqliteStore.open``: pragmas, migrations, legacy currency), build the core with
the real APScheduler ``CloseScheduler``, ``house.resume()``, and the ``posts_behind()`` read
the post editor starts from (the edits themselves need Discord). Measured: time to ready
(from just before opening the store to ``resume()`` returning), peak RSS, the event loop's
longest block (a ticker sleeping 5 ms records how late it wakes), and when the last overdue
auction closed. Then the parent checks each overdue auction was closed exactly once (one
``auction_closed`` message each) and nothing else was.

Goals for **large**: ready < 5 s, peak RSS < 200 MiB, loop never blocked > 100 ms, every
overdue auction closed within 5 s of the start. Nothing here is asserted on speed.
Never imports discord.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from benchmarks.common import print_machine
from benchmarks.scale import (
    OpenAuctions,
    connect,
    finish,
    mib,
    percentile,
    seed_history,
    seed_open,
    size_of,
)
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.domain.events import AuctionClosed
from bot.domain.settings import ServerSettings
from bot.messagebus import MessageBus
from bot.scheduling import CloseScheduler
from bot.storage.sqlite.store import SqliteStore, _adopt_currency

TICK = 0.005  # seconds the ticker sleeps
CHILD_TIMEOUT = 300  # seconds
GOAL_READY = 5.0
GOAL_RSS_MIB = 200.0
GOAL_BLOCK = 0.100
GOAL_OVERDUE = 5.0


@dataclass(frozen=True, slots=True)
class Sizes:
    closed: int
    bids: int
    delivered: int
    large: int
    context: int
    overdue: int
    within_hour: int


FULL = Sizes(50_000, 200_000, 300_000, 100_000, 10_000, 1_000, 500)
QUICK = Sizes(1_000, 4_000, 5_000, 5_000, 1_000, 100, 50)


# -- the child: one start ------------------------------------------------------------------


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _rss_kib() -> tuple[int, int]:
    """(resident now, peak resident) of this process, in KiB.

    The peak is Linux's VmHWM, this process image's own high-water mark: ``ru_maxrss`` is
    carried over from the parent through fork and exec, so a child of a parent that grew to
    80 MiB while seeding reports 80 MiB before doing anything."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        peak = _maxrss_kib()
        return peak, peak
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


async def _start(path: Path) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    lateness: list[float] = []
    woke: list[float] = []  # when each tick woke, from the start
    stop = asyncio.Event()
    began = time.perf_counter()

    async def ticker() -> None:
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(TICK)
            lateness.append(loop.time() - before - TICK)
            woke.append(time.perf_counter() - began)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(TICK)  # the ticker is running before the start begins
    rss_before, _ = _rss_kib()
    closed_at: list[float] = []
    began = time.perf_counter()
    lateness.clear()
    woke.clear()

    bus = MessageBus()
    bus.subscribe(AuctionClosed, lambda _: closed_at.append(time.perf_counter() - began))
    store = await SqliteStore.open(path, publish=bus.publish)
    opened = time.perf_counter() - began
    apscheduler = AsyncIOScheduler(timezone="UTC")
    scheduler = CloseScheduler(apscheduler)
    scheduler.start()
    core = build_core(store, bus, clock=SystemClock(), timer=scheduler, defaults=ServerSettings())
    closed = await core.house.resume()
    ready = time.perf_counter() - began
    behind = await core.house.posts_behind()
    posts_read = time.perf_counter() - began
    stop.set()
    await ticking
    jobs = len(apscheduler.get_jobs())

    # What the legacy-currency UPDATE in SqliteStore.open costs on this database by itself.
    def adopt(conn: sqlite3.Connection) -> tuple[float, str]:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN UPDATE auctions SET currency_name = ?, currency_max = ?"
            " WHERE currency_name IS NULL",
            ("credits", 1),
        ).fetchall()
        t = time.perf_counter()
        _adopt_currency(conn, ServerSettings().currency)
        return time.perf_counter() - t, "; ".join(str(row[-1]) for row in plan)

    adopt_seconds, adopt_plan = await store.on_connection(adopt)
    scheduler.shutdown()
    await store.close()
    return {
        "open_s": opened,
        "ready_s": ready,
        "posts_read_s": posts_read,
        "closed": closed,
        "closed_events": len(closed_at),
        "last_closed_s": max(closed_at) if closed_at else None,
        "behind": len(behind),
        "jobs": jobs,
        "ticks": len(lateness),
        "block_max_s": max(lateness) if lateness else 0.0,
        "block_p99_s": percentile(lateness, 0.99) if lateness else 0.0,
        # When the longest block ended, from the start (to tell which step it was).
        "block_ended_s": woke[lateness.index(max(lateness))] if lateness else None,
        "rss_before_kib": rss_before,
        "rss_peak_kib": _rss_kib()[1],
        "ru_maxrss_kib": _maxrss_kib(),
        "adopt_s": adopt_seconds,
        "adopt_plan": adopt_plan,
    }


def _child(path: Path, profile: bool) -> int:
    if profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, _start(path))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue(), file=sys.stderr)
    else:
        result = asyncio.run(_start(path))
    print("CHILD " + json.dumps(result))
    return 0


# -- the parent: seeding, runs, checks, report -------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """The runs of one start, each on a fresh copy of its database. ``figures`` holds the
    median of each figure over the runs; ``worst`` the largest."""

    name: str
    open_auctions: int
    overdue: int
    runs: list[dict[str, Any]]

    @property
    def figures(self) -> dict[str, Any]:
        return {key: self._over(key, statistics.median) for key in self.runs[0]}

    def worst(self, key: str) -> Any:
        return self._over(key, max)

    def _over(self, key: str, how: Callable[[list[float]], float]) -> Any:
        values = [run[key] for run in self.runs]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return how(values)
        return values[0]

    def __getitem__(self, key: str) -> Any:
        return self.figures[key]

    @property
    def peak_mib(self) -> float:
        return float(self["rss_peak_kib"]) / 1024

    @property
    def worst_block_run(self) -> dict[str, Any]:
        return max(self.runs, key=lambda run: float(run["block_max_s"]))


class ConsistencyError(RuntimeError):
    """The start closed something other than the overdue auctions, or one of them twice."""


def _seed(root: Path, sizes: Sizes, now: datetime) -> dict[str, tuple[Path, OpenAuctions | None]]:
    base = root / "history.db"
    conn = connect(base)
    try:
        seed_history(
            conn,
            auctions=sizes.closed,
            bids=sizes.bids,
            delivered=sizes.delivered,
            pending=0,
            ending=now - timedelta(days=8),
            span=timedelta(days=100),
            retry_at=now,
        )
        finish(conn)
    finally:
        conn.close()
    made: dict[str, tuple[Path, OpenAuctions | None]] = {}
    for name, count in (("baseline", 0), ("context", sizes.context), ("large", sizes.large)):
        path = root / f"{name}.db"
        shutil.copyfile(base, path)  # the WAL was folded in: the file is the whole database
        seeded = None
        if count:
            conn = connect(path)
            try:
                seeded = seed_open(
                    conn, count=count, overdue=sizes.overdue, within_hour=sizes.within_hour, now=now
                )
                finish(conn)
            finally:
                conn.close()
        made[name] = (path, seeded)
    return made


def _run_child(path: Path, profile: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.cold_start", "--child", str(path)]
    if profile:
        command.append("--profile")
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the start on {path.name} failed:\n{result.stdout}{result.stderr}")
    if profile:
        print(result.stderr, file=sys.stderr)
    for line in result.stdout.splitlines():
        if line.startswith("CHILD "):
            figures: dict[str, Any] = json.loads(line.removeprefix("CHILD "))
            return figures
    raise RuntimeError(f"the start on {path.name} printed no figures:\n{result.stdout}")


def _check(path: Path, seeded: OpenAuctions | None, figures: dict[str, Any]) -> None:
    """Each overdue auction closed exactly once, and no other open auction closed."""
    if seeded is None:
        if figures["closed"]:
            raise ConsistencyError(f"{path.name}: {figures['closed']} closed with none open")
        return
    overdue = seeded.overdue_ids
    conn = sqlite3.connect(path)
    try:
        per_auction = dict(
            conn.execute(
                "SELECT auction_id, COUNT(*) FROM outbox WHERE kind = 'auction_closed'"
                " AND auction_id >= ? GROUP BY auction_id",
                (seeded.first_id,),
            ).fetchall()
        )
        still_open = conn.execute(
            "SELECT COUNT(*) FROM auctions WHERE status = 'open' AND id BETWEEN ? AND ?",
            (overdue.start, overdue.stop - 1),
        ).fetchone()[0]
        closed_others = conn.execute(
            "SELECT COUNT(*) FROM auctions WHERE status != 'open' AND id >= ?", (overdue.stop,)
        ).fetchone()[0]
        sales = conn.execute(
            "SELECT COUNT(*) FROM sold_handles WHERE auction_id BETWEEN ? AND ?",
            (overdue.start, overdue.stop - 1),
        ).fetchone()[0]
    finally:
        conn.close()
    where = path.name
    if still_open:
        raise ConsistencyError(f"{where}: {still_open} overdue auction(s) still open")
    if closed_others:
        raise ConsistencyError(f"{where}: {closed_others} auction(s) closed before their end")
    if sorted(per_auction) != list(overdue) or set(per_auction.values()) != {1}:
        twice = sum(1 for n in per_auction.values() if n > 1)
        raise ConsistencyError(
            f"{where}: {len(per_auction)} auctions with a result message for"
            f" {len(overdue)} overdue, {twice} with more than one"
        )
    if figures["closed"] != len(overdue) or figures["closed_events"] != len(overdue):
        raise ConsistencyError(
            f"{where}: resume() said {figures['closed']} closed and"
            f" {figures['closed_events']} AuctionClosed events, for {len(overdue)} overdue"
        )
    if sales != (len(overdue) + 1) // 2:
        raise ConsistencyError(f"{where}: {sales} sales for {(len(overdue) + 1) // 2} with bids")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _result(start: Start) -> str:
    f = start.figures
    overdue = (
        f", {start.overdue:,} overdue closed by {_ms(f['last_closed_s'])}"
        if start.overdue
        else ", nothing overdue"
    )
    return (
        f"RESULT cold_start {start.name} ({start.open_auctions:,} open): ready {_ms(f['ready_s'])}"
        f", peak RSS {start.peak_mib:.1f} MiB, loop blocked max {_ms(f['block_max_s'])}"
        f" (p99 {_ms(f['block_p99_s'])}; worst run {_ms(start.worst('block_max_s'))}){overdue}"
        f" [median of {len(start.runs)}]"
    )


def _goals(large: Start) -> list[tuple[str, bool]]:
    """Each judged on the worst of the runs."""
    last = large.worst("last_closed_s")
    peak = float(large.worst("rss_peak_kib")) / 1024
    return [
        (f"ready < {GOAL_READY:.0f} s", large.worst("ready_s") < GOAL_READY),
        (f"peak RSS < {GOAL_RSS_MIB:.0f} MiB", peak < GOAL_RSS_MIB),
        (
            f"loop never blocked > {GOAL_BLOCK * 1000:.0f} ms",
            large.worst("block_max_s") <= GOAL_BLOCK,
        ),
        (
            f"overdue closed within {GOAL_OVERDUE:.0f} s",
            last is not None and last < GOAL_OVERDUE and large["closed"] == large.overdue,
        ),
    ]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cold_start",
        description="Time, memory and event-loop blocking of a start with many open auctions.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of each start to stderr"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="starts per database (3; 1 with --quick)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.child is not None:
        return _child(args.child, args.profile)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    print_machine()
    print("settings")
    print(
        f"  {'history':<10} {sizes.closed:,} closed auctions, {sizes.bids:,} bids,"
        f" {sizes.delivered:,} delivered messages (in every database)"
    )
    print(
        f"  {'large':<10} {sizes.large:,} open auctions: {sizes.overdue:,} overdue,"
        f" {sizes.within_hour:,} ending within the hour, the rest over 7 days"
    )
    print(f"  {'context':<10} {sizes.context:,} open auctions, the same overdue and soon-ending")
    print(f"  {'baseline':<10} no open auction")
    print(
        f"  {'each start':<10} a child process; the event loop's ticker sleeps {TICK * 1000:.0f} ms"
    )
    print()
    now = datetime.now(UTC)
    starts: list[Start] = []
    with tempfile.TemporaryDirectory(prefix="bot-cold-start-") as tmp:
        root = Path(tmp)
        _progress("seeding ...")
        seed_began = time.perf_counter()
        databases = _seed(root, sizes, now)
        print(f"seeded in {time.perf_counter() - seed_began:.1f} s")
        for name, (path, seeded) in databases.items():
            runs = []
            for n in range(args.runs):
                _progress(f"start: {name}, run {n + 1} of {args.runs} ...")
                copy = root / f"{name}-run.db"  # each run closes the overdue auctions
                shutil.copyfile(path, copy)
                figures = _run_child(copy, args.profile)
                _check(copy, seeded, figures)
                runs.append(figures)
                copy.unlink()
            count = 0 if seeded is None else seeded.count
            overdue = 0 if seeded is None else seeded.overdue
            starts.append(Start(name, count, overdue, runs))
            print(f"  {name:<9} {mib(size_of(path).file_bytes)} database")

    _report(starts, quick=args.quick, began=began)
    return 0


def _report(starts: list[Start], *, quick: bool, began: float) -> None:
    print()
    head = (
        f"{'start':<10} {'open':>8} {'open store':>10} {'ready':>8} {'posts read':>10}"
        f" {'overdue':>8} {'last closed':>11} {'jobs':>5} {'behind':>7} {'RSS at go':>10}"
        f" {'peak RSS':>9} {'block max':>9} {'block p99':>9}"
    )
    print(head)
    print("-" * len(head))
    for s in starts:
        f = s.figures
        print(
            f"{s.name:<10} {s.open_auctions:>8,} {_ms(f['open_s']):>10} {_ms(f['ready_s']):>8}"
            f" {_ms(f['posts_read_s']):>10} {f['closed']:>8,} {_ms(f['last_closed_s']):>11}"
            f" {f['jobs']:>5,} {f['behind']:>7,} {f['rss_before_kib'] / 1024:>6.1f} MiB"
            f" {s.peak_mib:>5.1f} MiB {_ms(f['block_max_s']):>9} {_ms(f['block_p99_s']):>9}"
        )
    baseline, context, large = starts
    print()
    print(f"(medians of {len(baseline.runs)} run(s) each; goals are judged on the worst run)")
    for s in starts:
        worst = s.worst_block_run
        print(
            f"worst run, {s.name}: ready {_ms(s.worst('ready_s'))}, loop blocked"
            f" {_ms(worst['block_max_s'])} (ending {_ms(worst['block_ended_s'])} into the"
            f" start, which was ready at {_ms(worst['ready_s'])}), peak RSS"
            f" {s.worst('rss_peak_kib') / 1024:.1f} MiB"
        )
    for s in starts:
        print(
            f"legacy-currency UPDATE at open, {s.name}: {s['adopt_s'] * 1000:.1f} ms"
            f" ({s['adopt_plan']})"
        )
    span = (large.open_auctions - context.open_auctions) / 1000
    ms_per = (large["ready_s"] - context["ready_s"]) * 1000 / span
    kib_per = (large["rss_peak_kib"] - context["rss_peak_kib"]) / span
    print(
        f"scaling, from {context.open_auctions:,} to {large.open_auctions:,} open auctions:"
        f" {ms_per:.2f} ms and {kib_per:.1f} KiB of peak RSS per 1,000 open auctions at start"
    )
    print(
        f"against the baseline (no open auction): ready {large['ready_s'] / baseline['ready_s']:.1f}x,"
        f" peak RSS +{large.peak_mib - baseline.peak_mib:.1f} MiB"
    )
    print(
        "peak RSS is the child's own high-water mark (VmHWM); its ru_maxrss starts at the"
        " parent's peak, inherited through fork and exec: "
        + ", ".join(f"{s.name} {s['ru_maxrss_kib'] / 1024:.1f} MiB" for s in starts)
    )
    print(f"(run took {time.perf_counter() - began:.1f} s)")
    print()
    for s in starts:
        print(_result(s))
    print(
        f"RESULT cold_start scaling: {ms_per:.2f} ms/1,000 open auctions, {kib_per:.1f} KiB/1,000"
        " open auctions"
    )
    goals = _goals(large)
    verdict = ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in goals)
    print(f"RESULT cold_start goals ({large.name}): {verdict}")
    print(
        "checked: in each start every overdue auction closed exactly once (one result message"
        " each, a sale for each with bids), no other auction closed, resume() and the"
        " AuctionClosed events counted them all"
    )
    print("consistency: ok")
    if quick:
        print("(--quick: sizes too small for the figures to mean much)")


if __name__ == "__main__":
    raise SystemExit(main())
