"""The bid path on PostgreSQL, measured: ``python -m benchmarks.pg_bench [--quick] [--url URL]``.

Each phase bids on one hot auction in a fresh database (on a throwaway server this script
starts, or on the server ``--url`` names, which must let its user CREATE DATABASE):

1. the service: C concurrent bidders (asyncio tasks, 200 by default) through
   ``house.bid_on_handle`` over a ``PostgresStore`` with ``--pool`` connections, built as
   ``python -m bot`` builds it;
2. the baseline: the very transaction function the service runs (``place_bid`` over the
   shared repositories, ``SqlRepositories(PgConnection(raw), WRITING)``) called directly by
   C plain threads on connections of a plain ``psycopg_pool.ConnectionPool`` of the same
   size, one ``with pool.connection(), conn.transaction()`` per bid: no asyncio, no store,
   so what the service costs on top of its own work is the difference;
3. the driver choice: one bare bid transaction (``SELECT ... FOR UPDATE`` the auction row,
   ``INSERT`` the bid, ``UPDATE`` the auction, ``COMMIT``) on the bot's schema, C bids in
   flight over ``--pool`` connections, (a) with psycopg 3 and psycopg_pool on worker threads
   (how the store runs its transactions) and (b) with asyncpg's pool and async transactions,
   if asyncpg is installed (it is not a dependency of the bot).

Each pair runs ``--rounds`` times (3), alternated, and its ratio is of the medians, in bid
transactions per second (accepted or refused). Bidders bid the lowest amount that beats
every bid already sent (bench.py's ticket bidding); one the database saw after a higher one
is refused (``BidTooLow``), as it would be for a member: with ten connections racing for the
row lock, about half are, on either side.

After each phase the stored state is checked: one bid row per accepted bid, bid_count equal
to it, prices never going down in bid order, the auction's price equal to the last bid's
``price_after``, and its standing equal to a replay of the stored bids. Never imports discord.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool

from benchmarks.bench import (
    DURATION,
    FIRST_BIDDER,
    GUILD,
    HANDLE,
    HANDLES,
    MODERATOR,
    SETTINGS,
    ConsistencyError,
    Phase,
    check_stored,
    ms,
    phase_table,
)
from benchmarks.common import NoReminders, print_machine
from benchmarks.pg_common import Databases, databases, print_load, print_server
from bot.auctions.bidding import place_bid
from bot.auctions.common import open_auction
from bot.auctions.house import AuctionHouse
from bot.auctions.restock import Restock
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.domain.access import Actor
from bot.domain.auction import PlacedBid, Terms, replay
from bot.domain.errors import BidRefused
from bot.messagebus import MessageBus
from bot.storage.postgres.connection import READING, WRITING, PgConnection
from bot.storage.postgres.store import PostgresStore
from bot.storage.sql.repositories import SqlRepositories
from bot.unit_of_work import UnitOfWork

QUICK_BIDS, QUICK_CONCURRENCY, QUICK_WARMUP = 300, 20, 30
STORE_CHOICE = (
    "the store uses psycopg 3: its Connection is synchronous and thread-safe, so the very"
    " transaction functions SQLite runs (plain functions over a UnitOfWork, no await between"
    " reading a row and writing it) run whole on a worker thread; asyncpg would make every"
    " repository and every use case's transaction function async, for both stores"
)


@dataclass(frozen=True, slots=True)
class Options:
    bids: int
    concurrency: int
    pool: int
    warmup: int
    rounds: int
    drivers: bool
    url: str | None


class _Tickets:
    """What the concurrent bidders of one run share: how many bids are left to send and the
    highest amount sent so far. Locked, since the baseline's bidders are threads."""

    def __init__(self, remaining: int, top: int) -> None:
        self.remaining = remaining
        self.top = top
        self.accepted = 0
        self.refused = 0
        self.latencies: list[float] = []
        self._lock = threading.Lock()

    def take(self, known: int) -> int | None:
        """The amount of the next bid (above every bid sent), or None when all were sent."""
        with self._lock:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
            amount = max(known, self.top + 1)
            self.top = amount
            return amount

    def done(self, began: float, *, accepted: bool) -> None:
        elapsed = time.perf_counter() - began
        with self._lock:
            self.latencies.append(elapsed)
            if accepted:
                self.accepted += 1
            else:
                self.refused += 1


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- the service ---------------------------------------------------------------------------


async def _bidder(service: AuctionHouse, actor: Actor, tickets: _Tickets, known: int) -> None:
    while (amount := tickets.take(known)) is not None:
        began = time.perf_counter()
        try:
            receipt = await service.bid_on_handle(GUILD, actor, HANDLE, amount)
        except BidRefused as refusal:  # another bidder's higher amount got there first
            tickets.done(began, accepted=False)
            known = refusal.minimum if refusal.minimum is not None else amount + 1
            continue
        tickets.done(began, accepted=True)
        known = receipt.auction.minimum_bid


async def _run_bidders(service: AuctionHouse, opts: Options, tickets: _Tickets) -> None:
    known = (await service.get_auction(GUILD, HANDLE)).minimum_bid
    async with asyncio.TaskGroup() as group:
        for i in range(opts.concurrency):
            group.create_task(_bidder(service, Actor(FIRST_BIDDER + i), tickets, known))


async def _service(url: str, opts: Options) -> tuple[Phase, int, int]:
    """Returns the phase, the auction's id and the accepted bids including the warm-up."""
    bus = MessageBus()
    store = await PostgresStore.open(url, publish=bus.publish, pool_size=opts.pool)
    try:
        core = build_core(store, bus, clock=SystemClock(), timer=NoReminders(), defaults=SETTINGS)
        service = core.house
        view = await service.start_auction(
            GUILD, MODERATOR, HANDLE, starting_bid=1, duration=DURATION
        )
        warm = _Tickets(opts.warmup, 0)
        await _run_bidders(service, opts, warm)
        tickets = _Tickets(opts.bids, warm.top)
        gc.collect()
        start = time.perf_counter()
        await _run_bidders(service, opts, tickets)
        seconds = time.perf_counter() - start
    finally:
        await store.close()
    name = f"service, {opts.concurrency} bidders, pool {opts.pool}"
    phase = Phase(name, opts.bids, tickets.accepted, tickets.refused, seconds, tickets.latencies)
    return phase, view.id, warm.accepted + tickets.accepted


# -- the baseline: place_bid on plain psycopg, plain threads -------------------------------


def _plain_pool(url: str, size: int) -> psycopg_pool.ConnectionPool:
    # As the store opens its pool: autocommit, transactions explicit.
    return psycopg_pool.ConnectionPool(
        url, min_size=size, max_size=size, kwargs={"autocommit": True}, open=True
    )


def _add_auction(pool: psycopg_pool.ConnectionPool) -> int:
    rules = SETTINGS.rules
    terms = Terms(
        starting_bid=1,
        increment=rules.increment,
        anti_snipe_window=rules.anti_snipe_window,
        anti_snipe_extension=rules.anti_snipe_extension,
        max_extensions=rules.max_extensions,
    )
    now = SystemClock().now()
    with pool.connection() as raw, raw.transaction():
        auction = SqlRepositories(PgConnection(raw), WRITING).auctions.add(
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
    return auction.id


def _plain_bid(
    pool: psycopg_pool.ConnectionPool, clock: SystemClock, bidder: int, amount: int
) -> int:
    """The service's own bid transaction, without the service. Returns the next minimum."""
    with pool.connection() as raw, raw.transaction():
        receipt = place_bid(
            UnitOfWork(SqlRepositories(PgConnection(raw), WRITING)),
            lambda uow: open_auction(uow, GUILD, HANDLE),
            clock=clock,
            bidder_id=bidder,
            amount=amount,
            maximum=None,
            restock=Restock(SETTINGS),
        )
    return receipt.auction.minimum_bid


def _run_threads(
    pool: psycopg_pool.ConnectionPool, opts: Options, tickets: _Tickets, known: int
) -> None:
    clock = SystemClock()

    def bidder(bidder_id: int) -> None:
        minimum = known
        while (amount := tickets.take(minimum)) is not None:
            began = time.perf_counter()
            try:
                minimum = _plain_bid(pool, clock, bidder_id, amount)
            except BidRefused as refusal:
                tickets.done(began, accepted=False)
                minimum = refusal.minimum if refusal.minimum is not None else amount + 1
                continue
            tickets.done(began, accepted=True)

    threads = [
        threading.Thread(target=bidder, args=(FIRST_BIDDER + i,), name=f"bidder-{i}")
        for i in range(opts.concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _baseline(url: str, opts: Options) -> tuple[Phase, int, int]:
    pool = _plain_pool(url, opts.pool)
    try:
        auction_id = _add_auction(pool)
        warm = _Tickets(opts.warmup, 0)
        _run_threads(pool, opts, warm, 1)
        tickets = _Tickets(opts.bids, warm.top)
        gc.collect()
        start = time.perf_counter()
        _run_threads(pool, opts, tickets, warm.top + 1)
        seconds = time.perf_counter() - start
    finally:
        pool.close()
    name = f"baseline: place_bid, {opts.concurrency} threads"
    phase = Phase(name, opts.bids, tickets.accepted, tickets.refused, seconds, tickets.latencies)
    return phase, auction_id, warm.accepted + tickets.accepted


# -- the drivers: one bare bid transaction -------------------------------------------------

# The bid's statements as the repositories send them, reduced to the bare transaction: the
# row lock, the bid, the auction's new state. Every bidder is a new one (its id is the
# bid's number), so each bid leads at its own amount and a replay gives the same standing.
SELECT_SQL = "SELECT price, bid_count FROM auctions WHERE id = {0} FOR UPDATE"
INSERT_SQL = (
    "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
    " leader_after) VALUES ({0}, {1}, {2}, {2}, {3}, {2}, {1})"
)
UPDATE_SQL = (
    "UPDATE auctions SET price = {0}, leader_id = {1}, leader_max = {0}, bid_count = {2},"
    " revision = nextval('auction_revisions') WHERE id = {3}"
)
# psycopg's named placeholders, since each statement uses a value twice.
PG_SQL = (
    SELECT_SQL.format("%s"),
    INSERT_SQL.format("%(auction)s", "%(bidder)s", "%(amount)s", "%(at)s"),
    UPDATE_SQL.format("%(amount)s", "%(bidder)s", "%(count)s", "%(auction)s"),
)
ASYNCPG_SQL = (
    SELECT_SQL.format("$1"),
    INSERT_SQL.format("$1", "$2", "$3", "$4"),
    UPDATE_SQL.format("$1", "$2", "$3", "$4"),
)


class _Counter:
    """Numbers the bids of a driver phase (thread-safe, for the psycopg side)."""

    def __init__(self, start: int) -> None:
        self.next = start
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            n = self.next
            self.next += 1
            return n


def _psycopg_bid(pool: psycopg_pool.ConnectionPool, auction_id: int, bidder: int) -> None:
    select, insert, update = PG_SQL
    now_us = time.time_ns() // 1000
    with pool.connection() as conn, conn.transaction():
        row = conn.execute(select, (auction_id,)).fetchone()
        assert row is not None
        price, count = row
        amount = (price or 0) + 1
        values = {"auction": auction_id, "bidder": bidder, "amount": amount, "at": now_us}
        conn.execute(insert, values)
        conn.execute(update, {**values, "count": count + 1})


async def _psycopg_phase(url: str, opts: Options, auction_id: int) -> Phase:
    pool = _plain_pool(url, opts.pool)
    executor = ThreadPoolExecutor(max_workers=opts.pool, thread_name_prefix="postgres")
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    numbers = _Counter(FIRST_BIDDER)

    async def bidder(count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            await loop.run_in_executor(executor, _psycopg_bid, pool, auction_id, numbers.take())
            latencies.append(time.perf_counter() - began)

    try:
        seconds = await _in_flight(bidder, opts)
    finally:
        executor.shutdown(wait=True)
        pool.close()
    measured = latencies[opts.warmup :]
    name = f"psycopg 3 + pool on {opts.pool} threads"
    return Phase(name, opts.bids, opts.bids, 0, seconds, measured)


async def _in_flight(bidder: Callable[[int], Any], opts: Options) -> float:
    """The warm-up bids, then the measured ones, each spread over C concurrent bidders;
    returns the measured seconds."""

    async def spread(total: int) -> None:
        base, extra = divmod(total, opts.concurrency)
        async with asyncio.TaskGroup() as group:
            for i in range(opts.concurrency):
                group.create_task(bidder(base + (1 if i < extra else 0)))

    await spread(opts.warmup)
    gc.collect()
    start = time.perf_counter()
    await spread(opts.bids)
    return time.perf_counter() - start


def _load_asyncpg() -> Any | None:
    """asyncpg, if installed: it is not a dependency of the bot, only this comparison uses it."""
    try:
        import asyncpg  # noqa: PLC0415
    except ImportError:
        return None
    return asyncpg


async def _asyncpg_phase(asyncpg: Any, url: str, opts: Options, auction_id: int) -> Phase:
    select, insert, update = ASYNCPG_SQL
    pool = await asyncpg.create_pool(url, min_size=opts.pool, max_size=opts.pool)
    latencies: list[float] = []
    numbers = _Counter(FIRST_BIDDER)

    async def bidder(count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            bidder_id = numbers.take()
            now_us = time.time_ns() // 1000
            async with pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(select, auction_id)
                amount = (row["price"] or 0) + 1
                await conn.execute(insert, auction_id, bidder_id, amount, now_us)
                await conn.execute(update, amount, bidder_id, row["bid_count"] + 1, auction_id)
            latencies.append(time.perf_counter() - began)

    try:
        seconds = await _in_flight(bidder, opts)
    finally:
        await pool.close()
    measured = latencies[opts.warmup :]
    name = f"asyncpg pool of {opts.pool}, async"
    return Phase(name, opts.bids, opts.bids, 0, seconds, measured)


def _bare_auction(url: str) -> int:
    pool = _plain_pool(url, 1)
    try:
        return _add_auction(pool)
    finally:
        pool.close()


# -- checks and report ---------------------------------------------------------------------


def check_state(url: str, auction_id: int, accepted: int) -> None:
    """Raise ``ConsistencyError`` unless the stored bids and standing match ``accepted``."""
    with psycopg.connect(url, autocommit=True) as raw:
        repositories = SqlRepositories(PgConnection(raw), READING)
        auction = repositories.auctions.get(auction_id)
        stored = repositories.auctions.bids(auction_id)
    where = f"auction {auction_id}"
    check_stored(where, auction, stored, accepted)
    replayed = replay(auction.terms, [PlacedBid(b.bidder_id, b.amount, b.maximum) for b in stored])
    if replayed != auction.standing:
        raise ConsistencyError(
            f"{where}: standing {auction.standing}, but a replay gives {replayed}"
        )


def _median(rounds: Sequence[Phase]) -> Phase:
    """The round with the median rate of bid transactions, accepted or refused (the lower
    middle one of an even count). About half the concurrent bids are refused on either side
    (a higher amount reached the row first), and which half varies from round to round, so
    accepted bids alone would measure that luck as much as the cost of a transaction."""
    ordered = sorted(rounds, key=lambda p: p.rate)
    return ordered[(len(ordered) - 1) // 2]


def _result(label: str, phase: Phase) -> str:
    return (
        f"RESULT {label}: {phase.rate:,.0f} bids/s ({phase.accepted_rate:,.0f} accepted/s;"
        f" p50 {ms(phase.percentile(0.5))} ms, p99 {ms(phase.percentile(0.99))} ms;"
        f" {phase.accepted:,} accepted, {phase.refused:,} refused)"
    )


def _rounds_line(rounds: Sequence[Phase]) -> str:
    return f"  {rounds[0].name:<38} " + ", ".join(f"{p.rate:,.0f}" for p in rounds)


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_bench", description=__doc__)
    parser.add_argument("--bids", type=int, default=None, help="bids per phase (5000)")
    parser.add_argument("--concurrency", type=int, default=None, help="bids in flight (200)")
    parser.add_argument(
        "--pool", type=int, default=10, help="connections, as the store's pool_size (10)"
    )
    parser.add_argument("--warmup", type=int, default=None, help="unmeasured bids per phase")
    parser.add_argument("--rounds", type=int, default=None, help="alternated rounds (3)")
    parser.add_argument("--no-drivers", action="store_true", help="skip the driver comparison")
    parser.add_argument(
        "--url", default=None, help="an existing server (postgresql://user@host:port/dbname)"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    args = parser.parse_args(argv)
    bids = args.bids if args.bids is not None else (QUICK_BIDS if args.quick else 5_000)
    concurrency = args.concurrency or (QUICK_CONCURRENCY if args.quick else 200)
    warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else 500)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if bids < 1 or concurrency < 1 or args.pool < 1 or warmup < 0 or rounds < 1:
        parser.error("--bids, --concurrency, --pool and --rounds must be at least 1")
    return Options(
        bids=bids,
        concurrency=concurrency,
        pool=args.pool,
        warmup=warmup,
        rounds=rounds,
        drivers=not args.no_drivers,
        url=args.url,
    )


def _service_rounds(dbs: Databases, opts: Options) -> tuple[list[Phase], list[Phase]]:
    """The service and the baseline, ``opts.rounds`` times each, alternately and each in a
    fresh database, so that a slow moment of the machine does not fall on one side only."""
    service: list[Phase] = []
    baseline: list[Phase] = []
    for r in range(1, opts.rounds + 1):
        for side in ("service", "baseline") if r % 2 else ("baseline", "service"):
            url = dbs.fresh()
            _progress(f"round {r}: {side} ...")
            if side == "service":
                phase, auction_id, accepted = asyncio.run(_service(url, opts))
                service.append(phase)
            else:
                phase, auction_id, accepted = _baseline(url, opts)
                baseline.append(phase)
            check_state(url, auction_id, accepted)
    return service, baseline


def _driver_rounds(dbs: Databases, opts: Options) -> tuple[list[Phase], list[Phase] | None]:
    """psycopg's rounds and asyncpg's (None if it is not installed), alternated."""
    asyncpg = _load_asyncpg()
    if asyncpg is None:
        _progress("asyncpg is not installed: pip install asyncpg to compare; psycopg alone")
    psycopg_rounds: list[Phase] = []
    asyncpg_rounds: list[Phase] = []
    for r in range(1, opts.rounds + 1):
        order = ("psycopg", "asyncpg") if r % 2 else ("asyncpg", "psycopg")
        for side in order if asyncpg is not None else ("psycopg",):
            url = dbs.fresh()
            auction_id = _bare_auction(url)
            _progress(f"round {r}: driver {side} ...")
            if side == "psycopg":
                psycopg_rounds.append(asyncio.run(_psycopg_phase(url, opts, auction_id)))
            else:
                asyncpg_rounds.append(asyncio.run(_asyncpg_phase(asyncpg, url, opts, auction_id)))
            check_state(url, auction_id, opts.warmup + opts.bids)
    return psycopg_rounds, asyncpg_rounds if asyncpg is not None else None


def _report(
    opts: Options,
    service_rounds: list[Phase],
    baseline_rounds: list[Phase],
    drivers: tuple[list[Phase], list[Phase] | None] | None,
    seconds: float,
) -> None:
    """The table, the rounds and the RESULT lines."""
    service, baseline = _median(service_rounds), _median(baseline_rounds)
    phases = [service, baseline]
    psycopg_bare = asyncpg_bare = None
    if drivers is not None:
        psycopg_bare = _median(drivers[0])
        phases.append(psycopg_bare)
        if drivers[1] is not None:
            asyncpg_bare = _median(drivers[1])
            phases.append(asyncpg_bare)
    for line in phase_table(phases):
        print(line)
    print()
    if opts.rounds > 1:
        print(f"rounds (bids/s, alternated; the table shows each side's median of {opts.rounds})")
        print(_rounds_line(service_rounds))
        print(_rounds_line(baseline_rounds))
        if drivers is not None:
            print(_rounds_line(drivers[0]))
            if drivers[1] is not None:
                print(_rounds_line(drivers[1]))
        print()
    ratio = service.rate / baseline.rate
    accepted = service.accepted_rate / baseline.accepted_rate
    print(
        f"service/baseline {ratio:.2f} in bids/s (goal: at least 0.80; medians of"
        f" {opts.rounds}); {accepted:.2f} in accepted bids/s"
    )
    print(f"(run took {seconds:.1f} s)")
    print()
    print(_result(f"service (C={opts.concurrency}, pool {opts.pool})", service))
    print(_result(f"baseline place_bid on plain psycopg ({opts.concurrency} threads)", baseline))
    print(f"RESULT ratio service/baseline: {ratio:.2f}")
    if psycopg_bare is not None:
        print(_result("driver psycopg 3 + pool, worker threads", psycopg_bare))
        if asyncpg_bare is not None:
            print(_result("driver asyncpg pool, async", asyncpg_bare))
            print(
                f"RESULT ratio driver asyncpg/psycopg: {asyncpg_bare.rate / psycopg_bare.rate:.2f}"
            )
        else:
            print("driver asyncpg: not installed, phase skipped; pip install asyncpg to compare")
        print(f"driver choice: {STORE_CHOICE}")
    checked = len(service_rounds) + len(baseline_rounds)
    if drivers is not None:
        checked += len(drivers[0]) + len(drivers[1] or [])
    print(
        f"checked in all {checked} databases: bid rows == accepted bids == bid_count, price =="
        " the last bid's price_after, price never went down in bid order, standing == replay"
        " of the stored bids"
    )


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parse(argv)
    began = time.perf_counter()
    with databases(opts.url) as dbs:
        print_machine()
        print_server(dbs, started=opts.url is None)
        print_load()
        print("settings")
        print(f"  {'bids':<10} {opts.bids:,} per phase (+{opts.warmup:,} unmeasured warm-up bids)")
        print(f"  {'in flight':<10} {opts.concurrency:,} bids at once, ticket bidding")
        print(f"  {'pool':<10} {opts.pool} connections (the store's pool_size) on every side")
        print(f"  {'rounds':<10} {opts.rounds}, alternated, each phase in a fresh database")
        print()
        service_rounds, baseline_rounds = _service_rounds(dbs, opts)
        drivers: tuple[list[Phase], list[Phase] | None] | None = None
        if opts.drivers:
            drivers = _driver_rounds(dbs, opts)

    _report(opts, service_rounds, baseline_rounds, drivers, time.perf_counter() - began)
    print("consistency: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
