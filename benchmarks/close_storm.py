"""A close storm, measured: ``python -m benchmarks.close_storm [--quick]``.

N auctions (10,000 by default, across 100 servers, each with one bid so each has a winner)
end within one window (a minute by default). The real service, the real APScheduler close
timer and a real SQLite file close them; the lag of each close is the time from its end to
its committed close (the ``AuctionClosed`` event, published right after COMMIT).

1. the baseline: the storm with nothing else running (no outbox delivery);
2. the same storm while the outbox dispatcher delivers every result and winner DM through a
   sender that only records, paced as the bot paces its requests under Discord's global
   rate limit (``[discord].requests_per_second``, 40 by default). The delivery pace is
   measured over the storm and the following seconds; then the rest of the outbox is
   drained without a pace, and every message is checked to have been delivered once.

Each auction must close exactly once in both phases. Never imports discord.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from benchmarks.common import print_machine
from bot.bootstrap import Core, build_core
from bot.clock import SystemClock
from bot.delivery.dispatcher import DeliverySettings, OutboxDispatcher
from bot.delivery.pacing import RequestPace
from bot.domain.access import Actor
from bot.domain.events import AuctionClosed
from bot.domain.handles import HandlePolicy
from bot.domain.messages import MessageKind, OutboxMessage
from bot.domain.money import Currency, IncrementRule
from bot.domain.settings import HouseRules, ServerSettings
from bot.messagebus import MessageBus
from bot.scheduling import CloseScheduler
from bot.storage.sqlite.store import SqliteStore

MODERATOR = Actor(user_id=1, manages_guild=True)
SETTINGS = ServerSettings(
    currency=Currency(name="credits", max_amount=10**12),
    rules=HouseRules(
        increment=IncrementRule(absolute=1, percent=0),
        anti_snipe_window=timedelta(0),  # one bid each, long before the end
        min_duration=timedelta(seconds=1),
        max_duration=timedelta(days=30),
    ),
    handles=HandlePolicy(platform="x"),
)


@dataclass(frozen=True, slots=True)
class Options:
    auctions: int
    servers: int
    window: float  # seconds over which the ends are spread
    pace: int  # requests per second
    settle: float  # seconds of delivery measured after the last end


@dataclass(slots=True)
class Storm:
    name: str
    lags: list[float] = field(default_factory=list)  # seconds, per closed auction
    closes: Counter[int] = field(default_factory=Counter)
    delivered: int = 0
    steady: int = 0  # delivered after the pace's first burst
    delivery_seconds: float = 0.0  # from the end of that burst to the last delivery
    drained: int = 0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.lags)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class RecordingSender:
    """Records each message; sends nothing."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.times: list[float] = []

    async def _record(self, message: OutboxMessage) -> None:
        self.ids.append(message.id)
        self.times.append(time.monotonic())

    post_auction = dm_outbid = announce_result = dm_winner = _record
    announce_cancellation = copy_to_audit = send_house_notice = announce_drop = _record
    settlement_dm = settlement_notice = _record


async def _open(core: Core, opts: Options, lead: float) -> dict[int, float]:
    """Open the auctions, ends spread over the window starting ``lead`` s from now, each with
    one bid; returns each auction's end as a Unix time."""
    house = core.house
    ends: dict[int, float] = {}

    async def one(n: int) -> None:
        # Durations are whole seconds: spread the ends over the window's seconds.
        seconds = int(lead + (n * opts.window) / opts.auctions)
        guild = 1 + n % opts.servers
        view = await house.start_auction(
            guild, MODERATOR, f"h{n}", starting_bid=1, duration=f"{seconds}s"
        )
        await house.bid_on_auction(guild, Actor(user_id=10_000 + n), view.id, 1)
        ends[view.id] = view.ends_at.timestamp()

    for start in range(0, opts.auctions, 200):  # concurrently, so writes share COMMITs
        await asyncio.gather(*(one(n) for n in range(start, min(start + 200, opts.auctions))))
    return ends


async def _storm(path: Path, opts: Options, *, deliver: bool) -> Storm:
    storm = Storm("with delivery" if deliver else "closes alone")
    bus = MessageBus()
    store = await SqliteStore.open(path, publish=bus.publish)
    timer = CloseScheduler()
    timer.start()
    core = build_core(store, bus, clock=SystemClock(), timer=timer, defaults=SETTINGS)
    ends: dict[int, float] = {}

    def closed(event: AuctionClosed) -> None:
        storm.closes[event.auction_id] += 1
        storm.lags.append(time.time() - ends[event.auction_id])

    bus.subscribe(AuctionClosed, closed)
    sender = RecordingSender()
    settings = DeliverySettings()
    try:
        # The opening posts and audit copies go out before the storm, without a pace.
        lead = 3.0 + opts.auctions / 300  # time to open them all, with room to spare
        opening = time.time()
        ends.update(await _open(core, opts, lead))
        if time.time() - opening > lead - 1:
            print(
                f"note: opening took {time.time() - opening:.1f} s of a {lead:.0f} s lead;"
                " the first ends overlapped it",
                file=sys.stderr,
            )
        setup = OutboxDispatcher(
            store, sender, clock=core.clock, settings=settings, name="benchmark"
        )
        while await setup.deliver_due():
            pass
        before = len(sender.ids)
        dispatcher = OutboxDispatcher(
            store,
            sender,
            clock=core.clock,
            settings=settings,
            name="benchmark",
            pace=RequestPace(opts.pace),
        )
        first_end = min(ends.values())
        if deliver:
            bus.subscribe(AuctionClosed, dispatcher.wake)
            await asyncio.sleep(max(0.0, first_end - time.time()))
            dispatcher.start()
        deadline = max(ends.values()) + opts.settle
        while time.time() < deadline or len(storm.closes) < len(ends):
            await asyncio.sleep(0.1)
            if time.time() > deadline + 120:
                raise RuntimeError(f"only {len(storm.closes)} of {len(ends)} closed in time")
        if deliver:
            await dispatcher.stop()
            storm.delivered = len(sender.ids) - before
            # The steady pace: from the end of the pace's first burst to the last delivery.
            burst_end = before + min(opts.pace, storm.delivered - 1)
            storm.steady = len(sender.ids) - burst_end - 1
            storm.delivery_seconds = sender.times[-1] - sender.times[burst_end]
            # The rest at full speed, to check that every message went out once.
            while await setup.deliver_due():
                pass
            storm.drained = len(sender.ids) - before - storm.delivered
            _check_delivered_once(path, sender.ids)
    finally:
        timer.shutdown()
        await store.close()
    _check_closed_once(path, storm, len(ends))
    return storm


def _check_closed_once(path: Path, storm: Storm, auctions: int) -> None:
    twice = [a for a, n in storm.closes.items() if n != 1]
    if twice or len(storm.closes) != auctions:
        raise RuntimeError(f"{storm.name}: closes per auction wrong: {twice[:5]}")
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT (SELECT COUNT(*) FROM auctions WHERE status = 'closed'),"
            " (SELECT COUNT(*) FROM outbox WHERE kind = ?),"
            " (SELECT COUNT(*) FROM sold_handles)",
            (MessageKind.AUCTION_CLOSED.value,),
        ).fetchone()
    if tuple(row) != (auctions, auctions, auctions):
        raise RuntimeError(f"{storm.name}: closed, announced, sold = {tuple(row)} of {auctions}")


def _check_delivered_once(path: Path, delivered: list[int]) -> None:
    with sqlite3.connect(path) as conn:
        pending, total = conn.execute(
            "SELECT COUNT(*) FILTER (WHERE delivered_at IS NULL), COUNT(*) FROM outbox"
        ).fetchone()
    repeats = len(delivered) - len(set(delivered))
    if pending or repeats or len(delivered) != total:
        raise RuntimeError(
            f"delivery: {pending} pending, {repeats} sent twice, {len(delivered)} of {total} sent"
        )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _line(storm: Storm) -> str:
    return (
        f"RESULT close storm, {storm.name}: lag p50 {_ms(storm.percentile(0.5))} ms,"
        f" p99 {_ms(storm.percentile(0.99))} ms, max {_ms(max(storm.lags))} ms;"
        f" {len(storm.closes):,} closed, each once"
    )


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.close_storm", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 auctions in 3 s (a smoke run)")
    parser.add_argument("--auctions", type=int, default=None)
    parser.add_argument("--window", type=float, default=None, help="seconds (default 60)")
    parser.add_argument("--pace", type=int, default=40, help="requests/s (default 40)")
    args = parser.parse_args(argv)
    auctions = args.auctions or (300 if args.quick else 10_000)
    window = args.window or (3.0 if args.quick else 60.0)
    return Options(
        auctions=auctions,
        servers=min(100, auctions),
        window=window,
        pace=args.pace,
        settle=2.0 if args.quick else 10.0,
    )


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parse(argv)
    print_machine()
    print("settings")
    print(f"  {'auctions':<10} {opts.auctions:,} across {opts.servers} servers, one bid each")
    print(f"  {'ends':<10} spread over {opts.window:.0f} s")
    print(f"  {'pace':<10} {opts.pace} requests/s for delivery")
    print()
    with tempfile.TemporaryDirectory(prefix="bot-storm-") as tmp:
        print("closes alone ...", file=sys.stderr, flush=True)
        alone = asyncio.run(_storm(Path(tmp) / "alone.db", opts, deliver=False))
        print("with delivery ...", file=sys.stderr, flush=True)
        paced = asyncio.run(_storm(Path(tmp) / "paced.db", opts, deliver=True))
    pace = paced.steady / paced.delivery_seconds if paced.delivery_seconds else 0.0
    print(_line(alone))
    print(_line(paced))
    print(
        f"RESULT delivery pace: {pace:,.1f} messages/s after a first burst of {opts.pace}"
        f" (limit {opts.pace}/s); {paced.delivered:,} delivered during the storm and the"
        f" {opts.settle:.0f} s after it, {paced.drained:,} drained after without a pace"
    )
    print(
        f"RESULT ratio p99 with delivery/alone: {paced.percentile(0.99) / alone.percentile(0.99):.2f}"
    )
    print("checked: each auction closed once, announced once and sold once; every message")
    print("delivered once, none left pending")
    print("consistency: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
