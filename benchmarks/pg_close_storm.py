"""A close storm on PostgreSQL, across processes: ``python -m benchmarks.pg_close_storm
[--quick] [--auctions 10000] [--processes 2] [--url URL]``.

N auctions (10,000 by default, across 100 servers, every other one with a bid, so half are
sold and half end without bids) are seeded straight into a fresh database with COPY, their
ends spread over one window (a minute) starting ``--lead`` seconds (20) after the seeding.
Then P bot processes (``python -m benchmarks.pg_close_storm --worker URL``) start as a bot
does, without Discord: each opens a ``PostgresStore``, builds the core with a real
``CloseScheduler`` (APScheduler) and calls ``house.resume()``, which reminds every auction
ending within the horizon and starts the periodic sweep. Every process has a close job for
every auction; the closing transaction locks the auction's row and closes it only if it is
still open, so exactly one process closes each.

The parent waits until no auction is open, then reads ``closed_at - ends_at`` of every
auction (the lag from its end to its close, as the closing transaction stamped it) and
checks that each closed once: status closed, exactly one ``auction_closed`` outbox message
and one sale per sold auction, and the closes the processes counted (each counts the
``AuctionClosed`` events its committed closes published, and prints it on exit) adding up
to N. The baseline, in the same run and in its own database: the same storm closed by one
process. Never imports discord.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from benchmarks.close_storm import SETTINGS
from benchmarks.common import print_machine
from benchmarks.pg_common import Databases, databases, print_load, print_server
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.domain.events import AuctionClosed
from bot.domain.messages import MessageKind
from bot.messagebus import MessageBus
from bot.scheduling import CloseScheduler
from bot.storage.postgres.store import PostgresStore

SERVERS = 100
MODERATOR_ID = 1
FIRST_BIDDER = 10_000
WORKER_POOL = 10  # the store's default pool_size


@dataclass(frozen=True, slots=True)
class Options:
    auctions: int
    processes: int
    window: float  # seconds over which the ends are spread
    lead: float  # seconds from the seeding to the first end
    url: str | None


@dataclass(slots=True)
class Storm:
    name: str
    processes: int
    lags: list[float] = field(default_factory=list)  # seconds, per auction
    per_process: list[int] = field(default_factory=list)  # closes each process counted
    ready: list[float] = field(default_factory=list)  # seconds each resume() took
    seed_seconds: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.lags)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# -- a bot process, without Discord --------------------------------------------------------


async def _worker(url: str) -> int:
    bus = MessageBus()
    store = await PostgresStore.open(url, publish=bus.publish, pool_size=WORKER_POOL)
    timer = CloseScheduler()
    timer.start()
    closed = 0

    def count(event: AuctionClosed) -> None:
        nonlocal closed
        closed += 1

    try:
        core = build_core(store, bus, clock=SystemClock(), timer=timer, defaults=SETTINGS)
        bus.subscribe(AuctionClosed, count)
        began = time.perf_counter()
        await core.house.resume()
        print(f"ready {time.perf_counter() - began:.3f}", flush=True)
        # Until the parent, having seen every auction closed, closes our stdin.
        await asyncio.to_thread(sys.stdin.readline)
    finally:
        timer.shutdown()
        await store.close()
    print(f"closed {closed}", flush=True)
    return 0


# -- the parent ----------------------------------------------------------------------------


def _seed(url: str, opts: Options) -> tuple[float, int]:
    """COPY the auctions (and a bid on every other one) into the database; returns the Unix
    time of the first end and how many have a bid."""
    first_end = time.time() + opts.lead
    rules = SETTINGS.rules
    currency = SETTINGS.currency
    now_us = time.time_ns() // 1000
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY auctions (id, guild_id, handle_key, handle_display, platform, starting_bid,"
                " increment_absolute, increment_percent, anti_snipe_window_us,"
                " anti_snipe_extension_us, max_extensions, price, leader_id, leader_max,"
                " bid_count, opened_by, opened_at, ends_at, currency_name, currency_max)"
                " FROM STDIN"
            ) as copy,
        ):
            for n in range(opts.auctions):
                with_bid = n % 2 == 0
                ends_us = int((first_end + n * opts.window / opts.auctions) * 1_000_000)
                copy.write_row(
                    (
                        n + 1, 1 + n % SERVERS, f"h{n}", f"h{n}", "x", 1,
                        rules.increment.absolute, rules.increment.percent, 0, 0, 0,
                        1 if with_bid else None, FIRST_BIDDER + n if with_bid else None,
                        1 if with_bid else None, 1 if with_bid else 0,
                        MODERATOR_ID, now_us, ends_us, currency.name, currency.max_amount,
                    )
                )  # fmt: skip
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
                " leader_after) FROM STDIN"
            ) as copy,
        ):
            for n in range(0, opts.auctions, 2):
                copy.write_row((n + 1, FIRST_BIDDER + n, 1, 1, now_us, 1, FIRST_BIDDER + n))
        for table in ("auctions", "bids"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
    return first_end, (opts.auctions + 1) // 2


def _open_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM auctions WHERE status = 'open'").fetchone()
    assert row is not None
    return int(row[0])


def _storm(dbs: Databases, opts: Options, processes: int) -> Storm:
    name = f"{processes} process{'es' if processes > 1 else ''}"
    storm = Storm(name, processes)
    url = dbs.fresh()
    began = time.perf_counter()
    first_end, sold = _seed(url, opts)
    storm.seed_seconds = time.perf_counter() - began
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.pg_close_storm", "--worker", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        last_end = first_end + opts.window
        deadline = last_end + 120
        while (still_open := _open_count(url)) > 0:
            if time.time() > deadline:
                raise RuntimeError(f"{name}: {still_open} still open 120 s after the last end")
            if any(w.poll() is not None for w in workers):
                raise RuntimeError(f"{name}: a worker exited early")
            time.sleep(0.2)
    finally:
        outputs = [w.communicate(input="", timeout=60)[0] for w in workers]
    if time.time() < first_end:
        raise RuntimeError(f"{name}: closed before the first end; the clock is wrong")
    for worker, out in zip(workers, outputs, strict=True):
        if worker.returncode != 0:
            raise RuntimeError(f"{name}: a worker failed ({worker.returncode}):\n{out}")
        for line in out.splitlines():
            key, _, value = line.partition(" ")
            if key == "ready":
                storm.ready.append(float(value))
            elif key == "closed":
                storm.per_process.append(int(value))
    storm.lags = _check_closed_once(url, storm, opts.auctions, sold)
    return storm


def _check_closed_once(url: str, storm: Storm, auctions: int, sold: int) -> list[float]:
    """Raise unless every auction closed once; returns each one's lag in seconds."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM auctions WHERE status = 'closed'"
            "        AND closed_at IS NOT NULL),"
            " (SELECT count(*) FROM outbox WHERE kind = %s),"
            " (SELECT count(DISTINCT auction_id) FROM outbox WHERE kind = %s),"
            " (SELECT count(*) FROM sold_handles),"
            " (SELECT count(*) FROM auctions WHERE outcome = 'sold')",
            (MessageKind.AUCTION_CLOSED.value, MessageKind.AUCTION_CLOSED.value),
        ).fetchone()
        lags = [
            r[0] / 1_000_000
            for r in conn.execute("SELECT closed_at - ends_at FROM auctions ORDER BY id")
        ]
    expected = (auctions, auctions, auctions, sold, sold)
    if row is None or tuple(row) != expected:
        raise RuntimeError(
            f"{storm.name}: closed, announcements, auctions announced, sales, sold ="
            f" {row} (expected {expected})"
        )
    if len(storm.per_process) != storm.processes or sum(storm.per_process) != auctions:
        raise RuntimeError(
            f"{storm.name}: the processes counted {storm.per_process} closes, not {auctions}"
        )
    if min(lags) < 0:
        raise RuntimeError(f"{storm.name}: an auction closed {-min(lags):.3f} s before its end")
    return lags


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _line(storm: Storm) -> str:
    shares = " + ".join(str(n) for n in storm.per_process)
    return (
        f"RESULT pg close storm, {storm.name}: lag p50 {_ms(storm.percentile(0.5))} ms,"
        f" p99 {_ms(storm.percentile(0.99))} ms, max {_ms(max(storm.lags))} ms;"
        f" {len(storm.lags):,} closed, each once (per process: {shares})"
    )


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pg_close_storm", description=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="300 auctions over 10 s (smoke)")
    parser.add_argument("--auctions", type=int, default=None, help="(10000)")
    parser.add_argument("--processes", type=int, default=2, help="bot processes (2)")
    parser.add_argument("--window", type=float, default=None, help="seconds (60)")
    parser.add_argument("--lead", type=float, default=None, help="seeding to first end, s (20)")
    parser.add_argument("--url", default=None, help="an existing server instead of a throwaway")
    args = parser.parse_args(argv)
    auctions = args.auctions or (300 if args.quick else 10_000)
    if auctions < 1 or args.processes < 1:
        parser.error("--auctions and --processes must be at least 1")
    return Options(
        auctions=auctions,
        processes=args.processes,
        window=args.window or (10.0 if args.quick else 60.0),
        lead=args.lead or (8.0 if args.quick else 20.0),
        url=args.url,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--worker"] and len(args) == 2:
        return asyncio.run(_worker(args[1]))
    opts = _parse(args)
    with databases(opts.url) as dbs:
        print_machine()
        print_server(dbs, started=opts.url is None)
        print_load()
        print("settings")
        print(
            f"  {'auctions':<10} {opts.auctions:,} across {SERVERS} servers, every other one bid on"
        )
        print(
            f"  {'ends':<10} spread over {opts.window:.0f} s, from {opts.lead:.0f} s after seeding"
        )
        print(
            f"  {'processes':<10} {opts.processes} (baseline: 1), each with a pool of {WORKER_POOL}"
        )
        print()
        storms = []
        for processes in dict.fromkeys((1, opts.processes)):
            print(f"{processes} process(es) ...", file=sys.stderr, flush=True)
            storms.append(_storm(dbs, opts, processes))
    for storm in storms:
        ready = ", ".join(f"{s * 1000:,.0f}" for s in storm.ready)
        print(f"{storm.name}: seeded in {storm.seed_seconds:.2f} s; resume() took {ready} ms")
    print()
    for storm in storms:
        print(_line(storm))
    if len(storms) > 1:
        base, multi = storms
        print(
            f"RESULT ratio p99 {multi.name}/{base.name}:"
            f" {multi.percentile(0.99) / base.percentile(0.99):.2f}"
        )
    print("checked: each auction closed once (status closed, one auction_closed message, one")
    print("sale per sold auction), the processes' counts of their closes add up to the auctions")
    print("consistency: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
