"""Throughput of the bidding path, measured: ``python -m benchmarks.bench [--quick]``.

Each phase bids on one hot auction in its own database file (a real file in WAL mode, as the
bot uses it, in a temporary directory removed afterwards):

1. the service, sequential: one bidder awaits each ``bid_on_handle`` before the next (two
   bidders alternate, so every bid is a real outbid at the current minimum);
2. the service with C concurrent bidders (asyncio tasks, each awaiting its own bids);
3. the baseline: the very transaction function the service runs (``place_bid`` from
   ``bot/auctions/bidding.py``, over the same SQLite repositories), called directly on a
   plain in-process ``sqlite3`` connection, one ``BEGIN IMMEDIATE ... COMMIT`` per bid,
   no asyncio: what the service costs on top of its own work is the difference;
4. for context, the naive aiosqlite bid: BEGIN, SELECT, INSERT, UPDATE, COMMIT as five
   awaited calls;
5. the physical limit the goal compares phase 2 against: a bare loop of one ``BEGIN
   IMMEDIATE; SELECT; INSERT; UPDATE; COMMIT`` per bid on the bot's schema.

Phases 2 and 5 run ``--rounds`` times (3), alternated, and their ratio is of the medians.

Concurrent bidders bid the lowest amount that beats every bid already sent: the minimum
from their last receipt (or the ``minimum`` a ``BidTooLow`` carries), raised above the
highest amount any bidder has sent so far -- what a member watching the live post would
bid. Bidding only the minimum from one's own last receipt (``--bidding receipt``) has
every bidder in a committed batch name the same amount, so only one of them wins per batch.

After each phase the stored state is checked: one bid row per accepted bid, the auction's
price equal to the last (highest) bid's ``price_after``, and prices never going down in
bid order. Never imports discord.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Literal

import aiosqlite

from benchmarks.common import NoReminders, print_machine
from bot.auctions.bidding import place_bid
from bot.auctions.common import open_auction
from bot.auctions.house import AuctionHouse
from bot.auctions.restock import Restock
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.domain.access import Actor
from bot.domain.auction import Auction, Terms
from bot.domain.errors import BidRefused
from bot.domain.handles import HandlePolicy
from bot.domain.money import Currency, IncrementRule
from bot.domain.records import StoredBid
from bot.domain.settings import HouseRules, ServerSettings
from bot.messagebus import MessageBus
from bot.storage.sql.repositories import SqlRepositories
from bot.storage.sqlite.dialect import SqliteDialect
from bot.storage.sqlite.schema import migrate
from bot.storage.sqlite.store import SqliteStore, Synchronous
from bot.unit_of_work import UnitOfWork

GUILD = 1
HANDLE = "hotname"
MODERATOR = Actor(user_id=1, manages_guild=True)
FIRST_BIDDER = 1_000
# +1 per bid with no percentage, so tens of thousands of bids stay far below max_amount.
HANDLES = HandlePolicy(platform="x")
SETTINGS = ServerSettings(
    currency=Currency(name="credits", max_amount=10**12),
    rules=HouseRules(
        increment=IncrementRule(absolute=1, percent=0),
        min_duration=timedelta(seconds=1),
        max_duration=timedelta(days=30),
    ),
    handles=HANDLES,
)
DURATION = timedelta(days=7)  # nothing closes mid-run; anti-sniping never triggers
QUICK_BIDS, QUICK_CONCURRENCY, QUICK_WARMUP = 500, 50, 50
Bidding = Literal["ticket", "receipt"]


class ConsistencyError(RuntimeError):
    """The stored state after a run does not match what the bidders were told."""


@dataclass(slots=True)
class Phase:
    """One measured phase: ``attempts`` bids sent, of which ``accepted`` were accepted."""

    name: str
    attempts: int
    accepted: int
    refused: int
    seconds: float
    latencies: list[float] = field(default_factory=list, repr=False)  # seconds, per bid

    @property
    def rate(self) -> float:
        """Bids processed per second, accepted or refused (each one is a transaction)."""
        return self.attempts / self.seconds

    @property
    def accepted_rate(self) -> float:
        return self.accepted / self.seconds

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile of the per-bid latency, in seconds."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Options:
    bids: int
    concurrency: int
    synchronous: Synchronous
    warmup: int
    bidding: Bidding
    naive: bool
    rounds: int = 1


# -- the service ---------------------------------------------------------------------------


async def _open_service(path: Path, synchronous: Synchronous) -> tuple[SqliteStore, AuctionHouse]:
    """The store and the use cases as ``python -m bot`` builds them (events and all)."""
    bus = MessageBus()
    db = await SqliteStore.open(path, synchronous=synchronous, publish=bus.publish)
    core = build_core(db, bus, clock=SystemClock(), timer=NoReminders(), defaults=SETTINGS)
    return db, core.house


async def _service_sequential(path: Path, opts: Options) -> tuple[Phase, int]:
    """Returns the phase and the auction's id."""
    db, service = await _open_service(path, opts.synchronous)
    try:
        view = await service.start_auction(
            GUILD, MODERATOR, HANDLE, starting_bid=1, duration=DURATION
        )
        bidders = (Actor(FIRST_BIDDER), Actor(FIRST_BIDDER + 1))
        amount = view.minimum_bid
        for i in range(opts.warmup):
            receipt = await service.bid_on_handle(GUILD, bidders[i % 2], HANDLE, amount)
            amount = receipt.auction.minimum_bid
        latencies: list[float] = []
        clock = time.perf_counter
        gc.collect()
        start = clock()
        for i in range(opts.warmup, opts.warmup + opts.bids):
            began = clock()
            receipt = await service.bid_on_handle(GUILD, bidders[i % 2], HANDLE, amount)
            latencies.append(clock() - began)
            amount = receipt.auction.minimum_bid
        seconds = clock() - start
    finally:
        await db.close()
    phase = Phase("service, sequential", opts.bids, opts.bids, 0, seconds, latencies)
    return phase, view.id


@dataclass(slots=True)
class _Pool:
    """Shared by the concurrent bidders of one run (all on the event loop's thread)."""

    remaining: int
    top: int  # the highest amount any bidder has sent
    bidding: Bidding
    accepted: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)


async def _bidder(service: AuctionHouse, actor: Actor, pool: _Pool, known: int) -> None:
    clock = time.perf_counter
    while pool.remaining > 0:
        pool.remaining -= 1
        amount = max(known, pool.top + 1) if pool.bidding == "ticket" else known
        pool.top = max(pool.top, amount)
        began = clock()
        # Nothing awaits between choosing the amount and place_bid queueing its write, so
        # the writes run in the order the amounts were chosen.
        try:
            receipt = await service.bid_on_handle(GUILD, actor, HANDLE, amount)
        except BidRefused as refusal:  # BidTooLow: another bidder got in first
            pool.latencies.append(clock() - began)
            pool.refused += 1
            known = refusal.minimum if refusal.minimum is not None else amount + 1
            continue
        pool.latencies.append(clock() - began)
        pool.accepted += 1
        known = receipt.auction.minimum_bid


async def _run_pool(service: AuctionHouse, opts: Options, pool: _Pool) -> None:
    known = (await service.get_auction(GUILD, HANDLE)).minimum_bid
    async with asyncio.TaskGroup() as group:
        for i in range(opts.concurrency):
            group.create_task(_bidder(service, Actor(FIRST_BIDDER + i), pool, known))


async def _service_concurrent(path: Path, opts: Options) -> tuple[Phase, int, int]:
    """Returns the phase, the auction's id and the accepted bids including the warm-up."""
    db, service = await _open_service(path, opts.synchronous)
    try:
        view = await service.start_auction(
            GUILD, MODERATOR, HANDLE, starting_bid=1, duration=DURATION
        )
        warm = _Pool(remaining=opts.warmup, top=0, bidding=opts.bidding)
        await _run_pool(service, opts, warm)
        pool = _Pool(remaining=opts.bids, top=warm.top, bidding=opts.bidding)
        gc.collect()
        start = time.perf_counter()
        await _run_pool(service, opts, pool)
        seconds = time.perf_counter() - start
    finally:
        await db.close()
    name = f"service, {opts.concurrency} concurrent bidders"
    phase = Phase(name, opts.bids, pool.accepted, pool.refused, seconds, pool.latencies)
    return phase, view.id, warm.accepted + pool.accepted


# -- plain sqlite3 -------------------------------------------------------------------------


def _pragmas(synchronous: Synchronous) -> list[str]:
    """The pragmas ``SqliteStore.open`` sets."""
    return [
        "PRAGMA journal_mode = WAL",
        f"PRAGMA synchronous = {synchronous.upper()}",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 5000",
    ]


def _plain_auction(path: Path, synchronous: Synchronous) -> tuple[sqlite3.Connection, int]:
    """A connection set up as the bot's, with one open auction. Returns it and the id."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in _pragmas(synchronous):
        conn.execute(pragma)
    migrate(conn)
    now = SystemClock().now()
    rules = SETTINGS.rules
    terms = Terms(
        starting_bid=1,
        increment=rules.increment,
        anti_snipe_window=rules.anti_snipe_window,
        anti_snipe_extension=rules.anti_snipe_extension,
        max_extensions=rules.max_extensions,
    )
    conn.execute("BEGIN IMMEDIATE")
    auction = SqlRepositories(conn, SqliteDialect()).auctions.add(
        guild_id=GUILD,
        currency=SETTINGS.currency,
        handle=HANDLES.parse(HANDLE),
        platform=HANDLES.platform,
        terms=terms,
        opened_by=MODERATOR.user_id,
        opened_at=now,
        ends_at=now + DURATION,
        channel_id=None,
    )
    conn.execute("COMMIT")
    return conn, auction.id


def _plain_bid(
    conn: sqlite3.Connection,
    repositories: SqlRepositories,
    clock: SystemClock,
    bidder: int,
    amount: int,
) -> int:
    """The service's own bid transaction, without the service. Returns the next minimum."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        receipt = place_bid(
            UnitOfWork(repositories),
            lambda uow: open_auction(uow, GUILD, HANDLE),
            clock=clock,
            bidder_id=bidder,
            amount=amount,
            maximum=None,
            restock=Restock(SETTINGS),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return receipt.auction.minimum_bid


def _baseline(path: Path, opts: Options) -> tuple[Phase, int]:
    conn, auction_id = _plain_auction(path, opts.synchronous)
    try:
        clock = SystemClock()
        repositories = SqlRepositories(conn, SqliteDialect())
        bidders = (FIRST_BIDDER, FIRST_BIDDER + 1)
        amount = 1
        for i in range(opts.warmup):
            amount = _plain_bid(conn, repositories, clock, bidders[i % 2], amount)
        latencies: list[float] = []
        timer = time.perf_counter
        gc.collect()
        start = timer()
        for i in range(opts.warmup, opts.warmup + opts.bids):
            began = timer()
            amount = _plain_bid(conn, repositories, clock, bidders[i % 2], amount)
            latencies.append(timer() - began)
        seconds = timer() - start
    finally:
        conn.close()
    phase = Phase(
        "baseline: plain sqlite3, sequential", opts.bids, opts.bids, 0, seconds, latencies
    )
    return phase, auction_id


def _bare(path: Path, opts: Options) -> tuple[Phase, int]:
    """The physical limit: one ``BEGIN IMMEDIATE; SELECT; INSERT; UPDATE; COMMIT`` per bid in
    a bare loop on the bot's schema (its indexes and triggers), no rules, no objects."""
    conn, auction_id = _plain_auction(path, opts.synchronous)
    try:
        now_us = int(time.time() * 1_000_000)
        bidders = (FIRST_BIDDER, FIRST_BIDDER + 1)
        execute = conn.execute

        def bid(i: int) -> None:
            execute("BEGIN IMMEDIATE")
            price = execute("SELECT price FROM auctions WHERE id = ?", (auction_id,)).fetchone()[0]
            amount = (price or 0) + 1
            bidder = bidders[i % 2]
            execute(
                "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at,"
                " price_after, leader_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (auction_id, bidder, amount, amount, now_us, amount, bidder),
            )
            execute(
                "UPDATE auctions SET price = ?, leader_id = ?, leader_max = ?,"
                " bid_count = bid_count + 1 WHERE id = ?",
                (amount, bidder, amount, auction_id),
            )
            execute("COMMIT")

        for i in range(opts.warmup):
            bid(i)
        latencies: list[float] = []
        timer = time.perf_counter
        gc.collect()
        start = timer()
        for i in range(opts.warmup, opts.warmup + opts.bids):
            began = timer()
            bid(i)
            latencies.append(timer() - began)
        seconds = timer() - start
    finally:
        conn.close()
    phase = Phase("physical limit: bare sqlite3 loop", opts.bids, opts.bids, 0, seconds, latencies)
    return phase, auction_id


# -- naive aiosqlite -----------------------------------------------------------------------


async def _naive_bid(conn: aiosqlite.Connection, auction_id: int, bidder: int, now_us: int) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    rows = list(
        await conn.execute_fetchall(
            "SELECT price, bid_count FROM auctions WHERE id = ?", (auction_id,)
        )
    )
    price, count = rows[0]
    amount = 1 if price is None else price + 1
    await conn.execute(
        "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
        " leader_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (auction_id, bidder, amount, amount, now_us, amount, bidder),
    )
    await conn.execute(
        "UPDATE auctions SET price = ?, leader_id = ?, leader_max = ?, bid_count = ? WHERE id = ?",
        (amount, bidder, amount, count + 1, auction_id),
    )
    await conn.execute("COMMIT")


async def _naive(path: Path, opts: Options) -> tuple[Phase, int]:
    setup, auction_id = _plain_auction(path, opts.synchronous)
    setup.close()
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in _pragmas(opts.synchronous):
            await conn.execute(pragma)
        now_us = time.time_ns() // 1000
        bidders = (FIRST_BIDDER, FIRST_BIDDER + 1)
        for i in range(opts.warmup):
            await _naive_bid(conn, auction_id, bidders[i % 2], now_us)
        latencies: list[float] = []
        timer = time.perf_counter
        gc.collect()
        start = timer()
        for i in range(opts.warmup, opts.warmup + opts.bids):
            began = timer()
            await _naive_bid(conn, auction_id, bidders[i % 2], now_us)
            latencies.append(timer() - began)
        seconds = timer() - start
    finally:
        await conn.close()
    name = "naive aiosqlite: 5 awaited calls/bid"
    return Phase(name, opts.bids, opts.bids, 0, seconds, latencies), auction_id


# -- checks and report ---------------------------------------------------------------------


def check_consistency(path: Path, auction_id: int, accepted: int) -> None:
    """Raise ``ConsistencyError`` unless the stored bids and price match ``accepted`` bids."""
    conn = sqlite3.connect(path)
    try:
        repositories = SqlRepositories(conn, SqliteDialect())
        auction = repositories.auctions.get(auction_id)
        stored = repositories.auctions.bids(auction_id)
    finally:
        conn.close()
    check_stored(f"{path.name}, auction {auction_id}", auction, stored, accepted)


def check_stored(where: str, auction: Auction, stored: Sequence[StoredBid], accepted: int) -> None:
    """Raise ``ConsistencyError`` unless ``stored`` (the auction's bids, in order) holds
    exactly the ``accepted`` bids and left the auction's price where it is."""
    if len(stored) != accepted:
        raise ConsistencyError(f"{where}: {len(stored)} bid rows, but {accepted} bids accepted")
    if auction.standing.bid_count != accepted:
        raise ConsistencyError(
            f"{where}: bid_count {auction.standing.bid_count}, but {accepted} bids accepted"
        )
    prices = [bid.price_after for bid in stored]
    if any(later < earlier for earlier, later in pairwise(prices)):
        raise ConsistencyError(f"{where}: the price went down between bids")
    # The highest accepted bid is the last one: with proxy bidding, an earlier bid may name a
    # larger amount (a maximum raise, or a tie answered by proxy) yet leave a lower price.
    expected = prices[-1] if prices else None
    if auction.standing.price != expected:
        raise ConsistencyError(
            f"{where}: price {auction.standing.price}, but the last bid left it at {expected}"
        )


def _median(rounds: Sequence[Phase]) -> Phase:
    """The round with the median accepted rate (the lower middle one of an even count)."""
    ordered = sorted(rounds, key=lambda p: p.accepted_rate)
    return ordered[(len(ordered) - 1) // 2]


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.3f}"


def phase_table(phases: Sequence[Phase]) -> list[str]:
    """The phases as a table: counts, rates and latency percentiles (pg_bench prints it too)."""
    head = (
        f"{'phase':<38} {'bids':>7} {'accepted':>8} {'refused':>7} {'seconds':>8} "
        f"{'bids/s':>9} {'accepted/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    )
    lines = [head, "-" * len(head)]
    for p in phases:
        lines.append(
            f"{p.name:<38} {p.attempts:>7,} {p.accepted:>8,} {p.refused:>7,} {p.seconds:>8.3f} "
            f"{p.rate:>9,.0f} {p.accepted_rate:>10,.0f} "
            f"{ms(p.percentile(0.50)):>8} {ms(p.percentile(0.99)):>8}"
        )
    return lines


def _result(label: str, phase: Phase) -> str:
    line = f"RESULT {label}: {phase.accepted_rate:,.0f} bids/s"
    if phase.latencies:
        line += f" (p50 {ms(phase.percentile(0.5))} ms, p99 {ms(phase.percentile(0.99))} ms"
        if phase.refused:
            line += f"; {phase.accepted:,} accepted, {phase.refused:,} refused"
        line += ")"
    return line


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bot.bench", description="Measure bids/s through the auction service."
    )
    parser.add_argument("--bids", type=int, default=None, help="bids per phase (10000)")
    parser.add_argument("--concurrency", type=int, default=None, help="concurrent bidders (200)")
    parser.add_argument("--synchronous", choices=("normal", "full"), default="normal")
    parser.add_argument("--warmup", type=int, default=None, help="unmeasured bids per phase")
    parser.add_argument(
        "--bidding",
        choices=("ticket", "receipt"),
        default="ticket",
        help="concurrent bidders bid above every bid sent (ticket) or their last receipt's minimum",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive aiosqlite phase")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds of the concurrent service and the physical limit, alternated (3)",
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    args = parser.parse_args(argv)
    bids = args.bids if args.bids is not None else (QUICK_BIDS if args.quick else 10_000)
    concurrency = (
        args.concurrency
        if args.concurrency is not None
        else (QUICK_CONCURRENCY if args.quick else 200)
    )
    warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else 500)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if bids < 1 or concurrency < 1 or warmup < 0 or rounds < 1:
        parser.error("--bids, --concurrency and --rounds must be at least 1, --warmup at least 0")
    return Options(
        bids=bids,
        concurrency=concurrency,
        synchronous=args.synchronous,
        warmup=warmup,
        bidding=args.bidding,
        naive=not args.no_naive,
        rounds=rounds,
    )


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _alternated(root: Path, opts: Options) -> tuple[list[Phase], list[Phase]]:
    """The two phases the goal compares, ``opts.rounds`` times each, alternately and each
    round in fresh files, so that a slow moment of the machine (or its warm-up) does not
    fall on one side only. Returns the concurrent service's rounds and the bare loop's."""
    concurrent: list[Phase] = []
    limits: list[Phase] = []
    for r in range(1, opts.rounds + 1):
        order = ("service", "bare") if r % 2 else ("bare", "service")
        for side in order:
            if side == "service":
                _progress(f"round {r}: service, {opts.concurrency} concurrent bidders ...")
                db = root / f"service-conc-{r}.db"
                conc, conc_id, conc_total = asyncio.run(_service_concurrent(db, opts))
                check_consistency(db, conc_id, conc_total)
                concurrent.append(conc)
            else:
                _progress(f"round {r}: physical limit, bare sqlite3 loop ...")
                db = root / f"bare-{r}.db"
                bare, bare_id = _bare(db, opts)
                check_consistency(db, bare_id, opts.warmup + opts.bids)
                limits.append(bare)
    return concurrent, limits


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parse(argv)
    began = time.perf_counter()
    print_machine()
    print("settings")
    print(f"  {'bids':<10} {opts.bids:,} per phase (+{opts.warmup:,} unmeasured warm-up bids)")
    print(f"  {'bidders':<10} {opts.concurrency:,} concurrent ({opts.bidding} bidding)")
    print(f"  {'database':<10} file in a temporary directory, WAL, synchronous={opts.synchronous}")
    print()

    with tempfile.TemporaryDirectory(prefix="bot-bench-") as tmp:
        root = Path(tmp)
        _progress("service, sequential ...")
        seq, seq_id = asyncio.run(_service_sequential(root / "service-seq.db", opts))
        check_consistency(root / "service-seq.db", seq_id, opts.warmup + opts.bids)

        concurrent, limits = _alternated(root, opts)

        _progress("baseline, plain sqlite3 ...")
        base, base_id = _baseline(root / "baseline.db", opts)
        check_consistency(root / "baseline.db", base_id, opts.warmup + opts.bids)

        naive: Phase | None = None
        if opts.naive:
            _progress("naive aiosqlite ...")
            naive, naive_id = asyncio.run(_naive(root / "naive.db", opts))
            check_consistency(root / "naive.db", naive_id, opts.warmup + opts.bids)

    conc, bare = _median(concurrent), _median(limits)
    phases = [seq, conc, base, bare] + ([naive] if naive is not None else [])
    for line in phase_table(phases):
        print(line)
    print()
    if opts.rounds > 1:
        print(f"rounds (alternated; the table shows each side's median round, of {opts.rounds})")
        print(f"  {conc.name:<38} " + ", ".join(f"{p.accepted_rate:,.0f}" for p in concurrent))
        print(f"  {bare.name:<38} " + ", ".join(f"{p.rate:,.0f}" for p in limits))
        print()
    seq_ratio = seq.accepted_rate / base.rate
    conc_ratio = conc.accepted_rate / base.rate
    limit_ratio = conc.accepted_rate / bare.rate
    print(f"service/baseline  sequential {seq_ratio:.2f}   concurrent {conc_ratio:.2f}")
    print(
        f"service concurrent/physical limit {limit_ratio:.2f} (goal: at least 0.50;"
        f" medians of {opts.rounds} round{'s' if opts.rounds > 1 else ''})"
    )
    print(f"(run took {time.perf_counter() - began:.1f} s)")
    print()
    print(_result("service sequential", seq))
    print(_result(f"service concurrent (C={opts.concurrency})", conc))
    print(_result("baseline sqlite3 sequential", base))
    print(_result("physical limit bare sqlite3", bare))
    if naive is not None:
        print(_result("naive aiosqlite (5 calls/bid)", naive))
    print(f"RESULT ratio service/baseline: sequential {seq_ratio:.2f}, concurrent {conc_ratio:.2f}")
    print(f"RESULT ratio service concurrent/physical limit: {limit_ratio:.2f}")
    print(
        f"checked in all {len(phases) + 2 * (opts.rounds - 1)} databases: bid rows =="
        " accepted bids == bid_count, price =="
        " the last bid's price_after, price never went down in bid order"
    )
    print("consistency: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
