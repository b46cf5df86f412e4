"""What the scale benchmarks share: databases seeded fast with raw ``sqlite3`` (history and
open auctions in the shapes the bot writes them), sizes on disk, and small statistics.

Seeding goes around the service on purpose: a million rows through ``bid_on_handle`` would
take longer than the measurements. The rows match what the service writes (the same
columns, kinds, payloads and indexes), and the schema is the bot's own (``migrate``).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain.settings import ServerSettings
from bot.storage.sql.codec import to_us
from bot.storage.sqlite.schema import migrate

PLATFORM = "x"
CURRENCY = ServerSettings().currency
CHUNK = 50_000  # rows per executemany and per COMMIT while seeding
DAY_US = 86_400_000_000
MINUTE_US = 60_000_000

_AUCTION = """
    INSERT INTO auctions (
        id, guild_id, handle_key, handle_display, platform, status, outcome, starting_bid,
        increment_absolute, increment_percent, anti_snipe_window_us, anti_snipe_extension_us,
        max_extensions, price, leader_id, leader_max, bid_count, opened_by, opened_at, ends_at,
        closed_at, channel_id, message_id, currency_name, currency_max, revision, post_revision
    ) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 1, 5, 120000000, 120000000, 10, ?, ?, ?, ?, 1, ?, ?, ?,
              ?, ?, ?, ?, ?, ?)
"""
_BID = """
    INSERT INTO bids (id, auction_id, bidder_id, amount, max_amount, placed_at, price_after,
                      leader_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
_SALE = """
    INSERT INTO sold_handles (guild_id, handle_key, handle_display, auction_id, winner_id,
                              price, sold_at) VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_OUTBOX = """
    INSERT INTO outbox (id, guild_id, auction_id, kind, payload, created_at, attempts,
                        next_attempt_at, last_error, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_EMPTY = json.dumps({})


def connect(path: Path) -> sqlite3.Connection:
    """A seeding connection: the bot's schema, WAL, and no fsync (the seed is rebuilt anyway)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    migrate(conn)
    return conn


def _insert(conn: sqlite3.Connection, sql: str, rows: Iterator[tuple[object, ...]]) -> int:
    """``executemany`` in chunks, one transaction per chunk. Returns how many rows."""
    total = 0
    while True:
        chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return total
        conn.execute("BEGIN")
        conn.executemany(sql, chunk)
        conn.execute("COMMIT")
        total += len(chunk)


def finish(conn: sqlite3.Connection) -> None:
    """Fold the WAL into the file and refresh the planner's statistics, as a long-running
    database would have them."""
    conn.execute("PRAGMA optimize")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@dataclass(frozen=True, slots=True)
class History:
    """What ``seed_history`` wrote: closed auctions ``1..auctions``, their bids and their
    delivered messages, created between ``first_us`` and ``last_us``; and ``pending``
    messages waiting for a retry."""

    auctions: int
    bids: int
    delivered: int
    pending: int
    first_us: int
    last_us: int
    guilds: int

    def at_fraction(self, fraction: float) -> int:
        """The moment ``fraction`` of the way through the history, in microseconds."""
        return self.first_us + int((self.last_us - self.first_us) * fraction)


def seed_history(
    conn: sqlite3.Connection,
    *,
    auctions: int,
    bids: int,
    delivered: int,
    pending: int,
    ending: datetime,
    span: timedelta,
    retry_at: datetime,
    guilds: int = 10,
) -> History:
    """Closed, sold auctions one after another over ``span`` up to ``ending``; ``bids``
    spread over them (each raising the price, leaders alternating); ``delivered`` outbox
    messages (each auction's opening post, outbid DMs, its result and the winner's DM) with
    ids following their creation times as the bot's do; and ``pending`` outbid DMs that
    failed and wait for a retry at ``retry_at``."""
    if auctions < 1 or delivered < 3 * auctions:
        raise ValueError("need at least one auction and three messages per auction")
    last_us = to_us(ending)
    first_us = last_us - span // timedelta(microseconds=1)
    step = (last_us - first_us) // delivered  # one message every `step` microseconds

    def message_ids(auction: int) -> tuple[int, int]:  # [start, end) of its messages, 1-based
        return auction * delivered // auctions + 1, (auction + 1) * delivered // auctions + 1

    def message_time(message_id: int) -> int:
        return first_us + (message_id - 1) * step

    def auction_rows() -> Iterator[tuple[object, ...]]:
        for a in range(auctions):
            start, end = message_ids(a)
            count = bids * (a + 1) // auctions - bids * a // auctions
            price = max(count, 1)
            leader = 10_000 + (a + count) % 97
            yield (
                a + 1, 1 + a % guilds, f"h{a}", f"h{a}", PLATFORM, "closed", "sold",
                price, leader, price, count, message_time(start), message_time(end - 1),
                message_time(end - 1), 500 + a % guilds, 10**17 + a, CURRENCY.name,
                CURRENCY.max_amount, count + 2, count + 2,
            )  # fmt: skip

    def bid_rows() -> Iterator[tuple[object, ...]]:
        bid_id = 0
        for a in range(auctions):
            count = bids * (a + 1) // auctions - bids * a // auctions
            start, end = message_ids(a)
            opened, closed = message_time(start), message_time(end - 1)
            for k in range(count):
                bid_id += 1
                bidder = 10_000 + (a + k) % 97
                at = opened + (closed - opened) * (k + 1) // (count + 1)
                yield bid_id, a + 1, bidder, k + 1, k + 1, at, k + 1, bidder

    def sale_rows() -> Iterator[tuple[object, ...]]:
        for a in range(auctions):
            count = bids * (a + 1) // auctions - bids * a // auctions
            sold_at = message_time(message_ids(a)[1] - 1)
            winner = 10_000 + (a + count) % 97
            yield 1 + a % guilds, f"h{a}", f"h{a}", a + 1, winner, max(count, 1), sold_at

    def outbox_rows() -> Iterator[tuple[object, ...]]:
        for a in range(auctions):
            start, end = message_ids(a)
            for message_id in range(start, end):
                if message_id == start:
                    kind, payload = "auction_opened", _EMPTY
                elif message_id == end - 2:
                    kind, payload = "auction_closed", _EMPTY
                elif message_id == end - 1:
                    kind, payload = "winner_notice", _EMPTY
                else:
                    kind = "outbid"
                    payload = json.dumps({"user_id": 10_000 + message_id % 97})
                at = message_time(message_id)
                delivered_at = at + 1_000_000
                yield (
                    message_id, 1 + a % guilds, a + 1, kind, payload, at, 1, at, None,
                    delivered_at,
                )  # fmt: skip
        retry_us = to_us(retry_at)
        for p in range(pending):
            auction = auctions - 1 - p % auctions
            payload = json.dumps({"user_id": 20_000 + p})
            yield (
                delivered + 1 + p, 1 + auction % guilds, auction + 1, "outbid", payload,
                last_us - MINUTE_US, 3, retry_us, "Discord is rate limiting DMs", None,
            )  # fmt: skip

    _insert(conn, _AUCTION, auction_rows())
    _insert(conn, _BID, bid_rows())
    _insert(conn, _SALE, sale_rows())
    _insert(conn, _OUTBOX, outbox_rows())
    return History(auctions, bids, delivered, pending, first_us, last_us, guilds)


@dataclass(frozen=True, slots=True)
class OpenAuctions:
    """What ``seed_open`` wrote: ids ``first_id`` onwards, the overdue ones first."""

    first_id: int
    count: int
    overdue: int
    within_hour: int
    behind: int

    @property
    def overdue_ids(self) -> range:
        return range(self.first_id, self.first_id + self.overdue)


def seed_open(
    conn: sqlite3.Connection,
    *,
    count: int,
    overdue: int,
    within_hour: int,
    now: datetime,
    guilds: int = 10,
    behind_every: int = 100,
) -> OpenAuctions:
    """``count`` open auctions with live posts: ``overdue`` ended a few minutes before
    ``now`` (every other one with two bids, so it sells), ``within_hour`` end 10 to 55
    minutes after it, the rest over the next seven days. Every ``behind_every``-th post
    missed its last change (its revision is ahead of the post's)."""
    if overdue + within_hour > count:
        raise ValueError("more overdue and soon-ending auctions than open ones")
    first_id = 1 + (conn.execute("SELECT COALESCE(MAX(id), 0) FROM auctions").fetchone()[0])
    first_bid = 1 + conn.execute("SELECT COALESCE(MAX(id), 0) FROM bids").fetchone()[0]
    first_message = 1 + conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]
    now_us = to_us(now)
    rest = max(count - overdue - within_hour, 1)

    def ends(j: int) -> int:
        if j < overdue:
            return now_us - MINUTE_US * (1 + j % 30)
        if j < overdue + within_hour:
            return now_us + MINUTE_US * (10 + (j - overdue) % 45)
        return now_us + 2 * 60 * MINUTE_US + (7 * DAY_US) * (j - overdue - within_hour) // rest

    def with_bids(j: int) -> bool:
        return j < overdue and j % 2 == 0

    def auction_rows() -> Iterator[tuple[object, ...]]:
        for j in range(count):
            end = ends(j)
            opened = end - 7 * DAY_US
            bid = with_bids(j)
            revision = 3 if bid else 1
            post_revision = revision - 1 if j % behind_every == 0 else revision
            yield (
                first_id + j, 1 + j % guilds, f"open{j}", f"open{j}", PLATFORM, "open", None,
                2 if bid else None, 20_001 if bid else None, 5 if bid else None,
                2 if bid else 0, opened, end, None, 500 + j % guilds, 2 * 10**17 + j,
                CURRENCY.name, CURRENCY.max_amount, revision, post_revision,
            )  # fmt: skip

    def bid_rows() -> Iterator[tuple[object, ...]]:
        bid_id = first_bid
        for j in range(overdue):
            if with_bids(j):
                placed = ends(j) - DAY_US
                yield bid_id, first_id + j, 20_000, 1, 1, placed, 1, 20_000
                yield bid_id + 1, first_id + j, 20_001, 2, 5, placed + 1, 2, 20_001
                bid_id += 2

    def outbox_rows() -> Iterator[tuple[object, ...]]:
        message_id = first_message
        for j in range(count):
            opened = ends(j) - 7 * DAY_US
            yield (
                message_id, 1 + j % guilds, first_id + j, "auction_opened", _EMPTY, opened, 1,
                opened, None, opened + 1_000_000,
            )  # fmt: skip
            message_id += 1
            if with_bids(j):
                at = ends(j) - DAY_US + 1
                payload = json.dumps({"user_id": 20_000})
                yield (
                    message_id, 1 + j % guilds, first_id + j, "outbid", payload, at, 1, at,
                    None, at + 1_000_000,
                )  # fmt: skip
                message_id += 1

    _insert(conn, _AUCTION, auction_rows())
    _insert(conn, _BID, bid_rows())
    _insert(conn, _OUTBOX, outbox_rows())
    behind = len(range(0, count, behind_every))
    return OpenAuctions(first_id, count, overdue, within_hour, behind)


@dataclass(frozen=True, slots=True)
class Size:
    """A database's size: pages in use (the file less its free pages) and the file itself."""

    page_size: int
    pages: int
    free_pages: int
    file_bytes: int

    @property
    def used_bytes(self) -> int:
        return (self.pages - self.free_pages) * self.page_size


def size_of(path: Path) -> Size:
    """Read on a connection of its own, so it sees what is committed (WAL included)."""
    conn = sqlite3.connect(path)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    file_bytes = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return Size(page_size, pages, free, file_bytes)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f} MiB"
