"""Auctions and their bids (``AuctionRepository``)."""

from __future__ import annotations

import functools
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from bot.domain.auction import Auction, BidDecision, Outcome, Standing, Status, Terms
from bot.domain.errors import AuctionNotFound, HandleUnavailable
from bot.domain.handles import Handle
from bot.domain.money import Currency, IncrementRule
from bot.domain.payments import MoneyMode
from bot.domain.records import StoredBid
from bot.storage.sql.codec import from_us, opt_from_us, span_us, to_us
from bot.storage.sql.connection import MAX_ROW_ID, Connection, Dialect, new_row_id

_COLUMNS = """
    id, guild_id, handle_key, handle_display, platform, status, outcome, starting_bid,
    increment_absolute, increment_percent, reserve, buy_now, anti_snipe_window_us,
    anti_snipe_extension_us, max_extensions, price, leader_id, leader_max, bid_count,
    opened_by, opened_at, ends_at, extensions, closed_at, channel_id, message_id,
    currency_name, currency_max, post_lost_at, revision, relist_number, relisted_from, listed_for_us,
    money
"""
# Auctions kept decoded between transactions (a hot auction is read by every bid).
CACHED_AUCTIONS = 4096


# Every bid reads its auction: the few distinct value objects a row holds are made once.
@functools.lru_cache(maxsize=256)
def _increment(absolute: int, percent: int) -> IncrementRule:
    return IncrementRule(absolute=absolute, percent=percent)


@functools.lru_cache(maxsize=256)
def _currency(name: str | None, max_amount: int | None) -> Currency:
    if name is None or max_amount is None:
        return Currency()
    return Currency(name=name, max_amount=max_amount)


def _auction(row: Any) -> Auction:  # a row of _COLUMNS
    (
        id_, guild_id, key, display, platform, status, outcome, starting_bid,
        inc_abs, inc_pct, reserve, buy_now, window, extension, max_ext, price,
        leader_id, leader_max, bid_count, opened_by, opened_at, ends_at,
        extensions, closed_at, channel_id, message_id, currency_name, currency_max,
        post_lost_at, revision, relist_number, relisted_from, listed_for_us, money,
    ) = row  # fmt: skip
    return Auction(
        id=id_,
        guild_id=guild_id,
        handle=Handle(display=display, key=key),
        platform=platform,
        terms=Terms(
            starting_bid=starting_bid,
            increment=_increment(inc_abs, inc_pct),
            reserve=reserve,
            buy_now=buy_now,
            anti_snipe_window=timedelta(microseconds=window),
            anti_snipe_extension=timedelta(microseconds=extension),
            max_extensions=max_ext,
        ),
        standing=Standing(
            price=price,
            leader_id=leader_id,
            leader_max=leader_max,
            bid_count=bid_count,
        ),
        status=Status(status),
        outcome=None if outcome is None else Outcome(outcome),
        opened_by=opened_by,
        opened_at=from_us(opened_at),
        ends_at=from_us(ends_at),
        extensions=extensions,
        closed_at=opt_from_us(closed_at),
        channel_id=channel_id,
        message_id=message_id,
        currency=_currency(currency_name, currency_max),
        post_lost=post_lost_at is not None,
        revision=revision,
        relist_number=relist_number,
        relisted_from=relisted_from,
        listed_for=None if listed_for_us is None else timedelta(microseconds=listed_for_us),
        money=MoneyMode(money),
    )


class SqlAuctions:
    """Where the dialect allows it (SQLite, one process), keeps decoded auctions between
    transactions: reading and decoding a whole row is most of a bid's work on a hot auction.
    The copies are exact because every change to the auctions table goes through this
    repository, which updates or drops the copy it changes, and the store calls
    ``forget_cached`` whenever a rollback undoes changes (so no copy of an uncommitted state
    outlives it) and after raw maintenance on the connection. The one process that may use
    the file (``ProcessLock``) is the only writer. Where several processes write
    (PostgreSQL), nothing is kept: every transaction reads the row, locked when it writes.

    Every change also gives the row a new ``revision`` (a counter, never reused), so a post
    that shows an older revision than its auction's is known to be behind."""

    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect
        self._caching = dialect.caches_auctions
        self._lock = dialect.lock_for_update
        self._cache: OrderedDict[int, Auction] = OrderedDict()
        self._open_ids: dict[tuple[int, str], int] = {}  # (guild, handle key) -> open auction

    def _revision(self) -> int:
        return self._dialect.next_revision(self._conn)

    def forget_cached(self) -> None:
        """After a rollback that undid changes, or changes made around the repository."""
        self._cache.clear()
        self._open_ids.clear()

    def _cached(self, auction_id: int) -> Auction | None:
        cached = self._cache.get(auction_id)
        if cached is not None:
            self._cache.move_to_end(auction_id)
        return cached

    def _remember(self, auction: Auction) -> Auction:
        if not self._caching:
            return auction
        self._cache[auction.id] = auction
        self._cache.move_to_end(auction.id)
        if len(self._cache) > CACHED_AUCTIONS:
            self._cache.popitem(last=False)
        if auction.is_open:
            if len(self._open_ids) >= CACHED_AUCTIONS:
                self._open_ids.clear()
            self._open_ids[(auction.guild_id, auction.handle.key)] = auction.id
        return auction

    def _open_for(self, guild_id: int, handle_key: str) -> Auction | None:
        auction_id = self._open_ids.get((guild_id, handle_key))
        if auction_id is None:
            return None
        auction = self._cached(auction_id)
        if (
            auction is None
            or not auction.is_open
            or auction.guild_id != guild_id
            or auction.handle.key != handle_key  # the id was given to another auction
        ):
            self._open_ids.pop((guild_id, handle_key), None)
            return None
        return auction

    def add(
        self,
        *,
        guild_id: int,
        handle: Handle,
        platform: str,
        terms: Terms,
        currency: Currency,
        opened_by: int,
        opened_at: datetime,
        ends_at: datetime,
        channel_id: int | None,
        relist_number: int = 0,
        relisted_from: int | None = None,
        money: MoneyMode = MoneyMode.NONE,
    ) -> Auction:
        # The unique index on open auctions decides when another transaction listed the
        # handle first; DO NOTHING (not an error) so the transaction can go on, e.g. to
        # record why a scheduled start could not happen.
        cursor = self._conn.execute(
            f"""
            INSERT INTO auctions (
                guild_id, handle_key, handle_display, platform, starting_bid,
                increment_absolute, increment_percent, reserve, buy_now,
                anti_snipe_window_us, anti_snipe_extension_us, max_extensions, opened_by,
                opened_at, ends_at, channel_id, currency_name, currency_max, revision,
                relist_number, relisted_from, listed_for_us, money
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING{self._dialect.returning_id}
            """,
            (
                guild_id, handle.key, handle.display, platform, terms.starting_bid,
                terms.increment.absolute, terms.increment.percent, terms.reserve,
                terms.buy_now, span_us(terms.anti_snipe_window),
                span_us(terms.anti_snipe_extension), terms.max_extensions, opened_by,
                to_us(opened_at), to_us(ends_at), channel_id, currency.name,
                currency.max_amount, self._revision(), relist_number, relisted_from,
                span_us(ends_at - opened_at), money.value,
            ),
        )  # fmt: skip
        auction_id = self._dialect.inserted_id(cursor)
        if auction_id is None:
            raise HandleUnavailable(f"{handle} is already up for auction on this server.")
        return self.get(auction_id)

    def get(self, auction_id: int) -> Auction:
        row = None
        if 0 < auction_id <= MAX_ROW_ID:
            cached = self._cached(auction_id)
            if cached is not None:
                return cached
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM auctions WHERE id = ?{self._lock}", (auction_id,)
            ).fetchone()
        if row is None:
            raise AuctionNotFound("That auction no longer exists.")
        return self._remember(_auction(row))

    def find_open(self, guild_id: int, handle_key: str) -> Auction | None:
        cached = self._open_for(guild_id, handle_key)
        if cached is not None:
            return cached
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM auctions"
            f" WHERE guild_id = ? AND handle_key = ? AND status = 'open'{self._lock}",
            (guild_id, handle_key),
        ).fetchone()
        return None if row is None else self._remember(_auction(row))

    def find_latest(self, guild_id: int, handle_key: str) -> Auction | None:
        cached = self._open_for(guild_id, handle_key)  # an open one is the latest
        if cached is not None:
            return cached
        row = self._conn.execute(
            f"""
            SELECT {_COLUMNS} FROM auctions WHERE guild_id = ? AND handle_key = ?
            ORDER BY status = 'open' DESC, id DESC LIMIT 1{self._lock}
            """,
            (guild_id, handle_key),
        ).fetchone()
        return None if row is None else self._remember(_auction(row))

    def list_open(
        self,
        guild_id: int | None = None,
        *,
        containing: str = "",
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Auction]:
        # Only the rows asked for are read whole: a page, or autocomplete's 25.
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM auctions WHERE status = 'open'"
            " AND (CAST(? AS BIGINT) IS NULL OR guild_id = ?) AND instr(handle_key, ?) > 0"
            " ORDER BY ends_at, id LIMIT ? OFFSET ?",
            (
                guild_id,
                guild_id,
                containing,
                self._dialect.no_limit if limit is None else limit,
                max(offset, 0),
            ),
        ).fetchall()
        return [_auction(r) for r in rows]

    def count_open(self, guild_id: int) -> int:
        count: int = self._conn.execute(
            "SELECT COUNT(*) FROM auctions WHERE status = 'open' AND guild_id = ?", (guild_id,)
        ).fetchone()[0]
        return count

    def apply_bid(
        self,
        auction: Auction,
        decision: BidDecision,
        *,
        bidder_id: int,
        amount: int,
        maximum: int,
        placed_at: datetime,
    ) -> tuple[int, Auction]:
        standing = decision.standing
        revision = self._revision()
        cursor = self._conn.execute(
            "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
            f" leader_after) VALUES (?, ?, ?, ?, ?, ?, ?){self._dialect.returning_id}",
            (
                auction.id, bidder_id, amount, maximum, to_us(placed_at),
                standing.price, standing.leader_id,
            ),
        )  # fmt: skip
        bid_id = new_row_id(self._dialect, cursor)
        self._conn.execute(
            """
            UPDATE auctions SET price = ?, leader_id = ?, leader_max = ?, bid_count = ?,
                ends_at = ?, extensions = ?, revision = ?
            WHERE id = ? AND status = 'open'
            """,
            (
                standing.price, standing.leader_id, standing.leader_max, standing.bid_count,
                to_us(decision.ends_at), decision.extensions, revision, auction.id,
            ),
        )  # fmt: skip
        # The row now holds exactly this state (a rollback drops the copy: forget_cached).
        updated = self._remember(auction.after_bid(decision, revision))
        return bid_id, updated

    def update_standing(self, auction_id: int, standing: Standing) -> None:
        self._conn.execute(
            "UPDATE auctions SET price = ?, leader_id = ?, leader_max = ?, bid_count = ?,"
            " revision = ? WHERE id = ? AND status = 'open'",
            (
                standing.price, standing.leader_id, standing.leader_max, standing.bid_count,
                self._revision(), auction_id,
            ),
        )  # fmt: skip
        self._cache.pop(auction_id, None)

    def set_end(self, auction_id: int, ends_at: datetime) -> None:
        self._conn.execute(
            "UPDATE auctions SET ends_at = ?, revision = ? WHERE id = ? AND status = 'open'",
            (to_us(ends_at), self._revision(), auction_id),
        )
        self._cache.pop(auction_id, None)

    def finish(self, auction_id: int, *, status: Status, outcome: Outcome, at: datetime) -> bool:
        cursor = self._conn.execute(
            "UPDATE auctions SET status = ?, outcome = ?, closed_at = ?, revision = ?"
            " WHERE id = ? AND status = 'open'",
            (status.value, outcome.value, to_us(at), self._revision(), auction_id),
        )
        self._cache.pop(auction_id, None)
        return cursor.rowcount == 1

    def set_post(self, auction_id: int, channel_id: int, message_id: int) -> None:
        self._conn.execute(
            "UPDATE auctions SET channel_id = ?, message_id = ?, post_lost_at = NULL,"
            " revision = ? WHERE id = ?",
            (channel_id, message_id, self._revision(), auction_id),
        )
        self._cache.pop(auction_id, None)

    def mark_post_current(self, auction_id: int, revision: int) -> None:
        self._conn.execute(
            "UPDATE auctions SET post_revision = ? WHERE id = ? AND post_revision < ?",
            (revision, auction_id, revision),
        )

    def posts_behind(self) -> list[int]:
        return [
            row[0]
            for row in self._conn.execute(
                "SELECT id FROM auctions WHERE post_revision < revision"
                " AND message_id IS NOT NULL AND post_lost_at IS NULL ORDER BY id"
            )
        ]

    def ending_by(self, until: datetime | None) -> list[tuple[int, datetime]]:
        # Two columns from the index on (status, ends_at): a start with 100,000 open auctions
        # reads ids and times, not 100,000 full rows.
        rows = self._conn.execute(
            "SELECT id, ends_at FROM auctions WHERE status = 'open' AND ends_at <= ?"
            " ORDER BY ends_at, id",
            (MAX_ROW_ID if until is None else to_us(until),),
        ).fetchall()
        return [(r[0], from_us(r[1])) for r in rows]

    def mark_post_lost(self, auction_id: int, at: datetime) -> bool:
        cursor = self._conn.execute(
            "UPDATE auctions SET post_lost_at = ?, revision = ?"
            " WHERE id = ? AND post_lost_at IS NULL",
            (to_us(at), self._revision(), auction_id),
        )
        self._cache.pop(auction_id, None)
        return cursor.rowcount == 1

    def open_with_live_bids_by(self, guild_id: int, bidder_id: int) -> list[int]:
        rows = self._conn.execute(
            "SELECT id FROM auctions WHERE guild_id = ? AND status = 'open' AND EXISTS ("
            " SELECT 1 FROM bids WHERE bids.auction_id = auctions.id AND bids.bidder_id = ?"
            " AND bids.voided_at IS NULL) ORDER BY id",
            (guild_id, bidder_id),
        ).fetchall()
        return [r[0] for r in rows]

    def bids(
        self, auction_id: int, *, newest_first: bool = False, limit: int | None = None
    ) -> list[StoredBid]:
        order = "DESC" if newest_first else "ASC"
        rows = self._conn.execute(
            "SELECT id, auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
            " leader_after, voided_at, voided_by, void_reason"
            f" FROM bids WHERE auction_id = ? ORDER BY id {order} LIMIT ?",
            (auction_id, self._dialect.no_limit if limit is None else limit),
        ).fetchall()
        return [
            StoredBid(
                id=r[0], auction_id=r[1], bidder_id=r[2], amount=r[3], maximum=r[4],
                placed_at=from_us(r[5]), price_after=r[6], leader_after=r[7],
                voided_at=opt_from_us(r[8]), voided_by=r[9], void_reason=r[10],
            )
            for r in rows
        ]  # fmt: skip

    def void_bids(
        self,
        auction_id: int,
        bidder_id: int,
        *,
        by: int,
        reason: str,
        at: datetime,
        bid_id: int | None = None,
    ) -> int:
        if bid_id is not None and not 0 < bid_id <= MAX_ROW_ID:
            return 0
        cursor = self._conn.execute(
            "UPDATE bids SET voided_at = ?, voided_by = ?, void_reason = ?"
            " WHERE auction_id = ? AND bidder_id = ? AND voided_at IS NULL"
            " AND (CAST(? AS BIGINT) IS NULL OR id = ?)",
            (to_us(at), by, reason, auction_id, bidder_id, bid_id, bid_id),
        )
        return cursor.rowcount
