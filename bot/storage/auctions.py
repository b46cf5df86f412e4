"""Auctions and their bids. Functions of a ``sqlite3.Connection``, run on the database thread."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.auction import Auction, BidDecision, Outcome, PlacedBid, Standing, Status, Terms
from bot.domain.errors import AuctionNotFound
from bot.domain.handles import Handle
from bot.domain.money import IncrementRule
from bot.storage.codec import from_us, opt_from_us, span_us, to_us

_COLUMNS = """
    id, guild_id, handle_key, handle_display, platform, status, outcome, starting_bid,
    increment_absolute, increment_percent, reserve, buy_now, anti_snipe_window_us,
    anti_snipe_extension_us, max_extensions, price, leader_id, leader_max, bid_count,
    opened_by, opened_at, ends_at, extensions, closed_at, channel_id, message_id
"""


def _auction(row: Any) -> Auction:  # a row of _COLUMNS
    (
        id_, guild_id, key, display, platform, status, outcome, starting_bid,
        inc_abs, inc_pct, reserve, buy_now, window, extension, max_ext, price,
        leader_id, leader_max, bid_count, opened_by, opened_at, ends_at,
        extensions, closed_at, channel_id, message_id,
    ) = row  # fmt: skip
    return Auction(
        id=id_,
        guild_id=guild_id,
        handle=Handle(display=display, key=key),
        platform=platform,
        terms=Terms(
            starting_bid=starting_bid,
            increment=IncrementRule(absolute=inc_abs, percent=inc_pct),
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
    )


def insert(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    handle: Handle,
    platform: str,
    terms: Terms,
    opened_by: int,
    opened_at: datetime,
    ends_at: datetime,
    channel_id: int | None,
) -> Auction:
    cursor = conn.execute(
        """
        INSERT INTO auctions (
            guild_id, handle_key, handle_display, platform, starting_bid, increment_absolute,
            increment_percent, reserve, buy_now, anti_snipe_window_us, anti_snipe_extension_us,
            max_extensions, opened_by, opened_at, ends_at, channel_id
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            guild_id, handle.key, handle.display, platform, terms.starting_bid,
            terms.increment.absolute, terms.increment.percent, terms.reserve, terms.buy_now,
            span_us(terms.anti_snipe_window), span_us(terms.anti_snipe_extension),
            terms.max_extensions, opened_by, to_us(opened_at), to_us(ends_at), channel_id,
        ),
    )  # fmt: skip
    auction_id = cursor.lastrowid
    assert auction_id is not None
    return get(conn, auction_id)


def get(conn: sqlite3.Connection, auction_id: int) -> Auction:
    row = conn.execute(f"SELECT {_COLUMNS} FROM auctions WHERE id = ?", (auction_id,)).fetchone()
    if row is None:
        raise AuctionNotFound("That auction no longer exists.")
    return _auction(row)


def find_open(conn: sqlite3.Connection, guild_id: int, handle_key: str) -> Auction | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM auctions WHERE guild_id = ? AND handle_key = ? AND status = 'open'",
        (guild_id, handle_key),
    ).fetchone()
    return None if row is None else _auction(row)


def find_latest(conn: sqlite3.Connection, guild_id: int, handle_key: str) -> Auction | None:
    """The open auction for the handle, else its most recent one."""
    row = conn.execute(
        f"""
        SELECT {_COLUMNS} FROM auctions WHERE guild_id = ? AND handle_key = ?
        ORDER BY status = 'open' DESC, id DESC LIMIT 1
        """,
        (guild_id, handle_key),
    ).fetchone()
    return None if row is None else _auction(row)


def list_open(conn: sqlite3.Connection, guild_id: int | None = None) -> list[Auction]:
    """Open auctions, soonest ending first; every guild's when ``guild_id`` is None."""
    if guild_id is None:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM auctions WHERE status = 'open' ORDER BY ends_at, id"
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM auctions WHERE status = 'open' AND guild_id = ? "
            "ORDER BY ends_at, id",
            (guild_id,),
        ).fetchall()
    return [_auction(r) for r in rows]


def apply_bid(
    conn: sqlite3.Connection,
    auction: Auction,
    decision: BidDecision,
    *,
    bidder_id: int,
    amount: int,
    maximum: int,
    placed_at: datetime,
) -> int:
    """Append the bid and move the auction to the decided state. Returns the bid's id."""
    standing = decision.standing
    cursor = conn.execute(
        "INSERT INTO bids (auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
        " leader_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            auction.id, bidder_id, amount, maximum, to_us(placed_at),
            standing.price, standing.leader_id,
        ),
    )  # fmt: skip
    update_standing(
        conn, auction.id, standing, ends_at=decision.ends_at, extensions=decision.extensions
    )
    bid_id = cursor.lastrowid
    assert bid_id is not None
    return bid_id


def update_standing(
    conn: sqlite3.Connection,
    auction_id: int,
    standing: Standing,
    *,
    ends_at: datetime | None = None,
    extensions: int | None = None,
) -> None:
    conn.execute(
        """
        UPDATE auctions SET price = ?, leader_id = ?, leader_max = ?, bid_count = ?,
            ends_at = COALESCE(?, ends_at), extensions = COALESCE(?, extensions)
        WHERE id = ? AND status = 'open'
        """,
        (
            standing.price, standing.leader_id, standing.leader_max, standing.bid_count,
            None if ends_at is None else to_us(ends_at), extensions, auction_id,
        ),
    )  # fmt: skip


def set_end(conn: sqlite3.Connection, auction_id: int, ends_at: datetime) -> None:
    conn.execute(
        "UPDATE auctions SET ends_at = ? WHERE id = ? AND status = 'open'",
        (to_us(ends_at), auction_id),
    )


def finish(
    conn: sqlite3.Connection,
    auction_id: int,
    *,
    status: Status,
    outcome: Outcome,
    at: datetime,
) -> bool:
    """Close an open auction. False if it was no longer open (closing is idempotent)."""
    cursor = conn.execute(
        "UPDATE auctions SET status = ?, outcome = ?, closed_at = ? WHERE id = ? AND status = 'open'",
        (status.value, outcome.value, to_us(at), auction_id),
    )
    return cursor.rowcount == 1


def set_post(conn: sqlite3.Connection, auction_id: int, channel_id: int, message_id: int) -> None:
    conn.execute(
        "UPDATE auctions SET channel_id = ?, message_id = ? WHERE id = ?",
        (channel_id, message_id, auction_id),
    )


@dataclass(frozen=True, slots=True)
class StoredBid:
    id: int
    auction_id: int
    bidder_id: int
    amount: int
    maximum: int
    placed_at: datetime
    price_after: int
    leader_after: int
    voided_at: datetime | None
    voided_by: int | None
    void_reason: str | None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    def as_placed(self) -> PlacedBid:
        return PlacedBid(bidder_id=self.bidder_id, amount=self.amount, maximum=self.maximum)


def bids(
    conn: sqlite3.Connection,
    auction_id: int,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[StoredBid]:
    order = "DESC" if newest_first else "ASC"
    rows = conn.execute(
        "SELECT id, auction_id, bidder_id, amount, max_amount, placed_at, price_after,"
        " leader_after, voided_at, voided_by, void_reason"
        f" FROM bids WHERE auction_id = ? ORDER BY id {order} LIMIT ?",
        (auction_id, -1 if limit is None else limit),
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
    conn: sqlite3.Connection,
    auction_id: int,
    bidder_id: int,
    *,
    by: int,
    reason: str,
    at: datetime,
    bid_id: int | None = None,
) -> int:
    """Mark the live bids of ``bidder_id`` in the auction (or just ``bid_id`` of theirs)
    voided. Returns how many."""
    cursor = conn.execute(
        "UPDATE bids SET voided_at = ?, voided_by = ?, void_reason = ?"
        " WHERE auction_id = ? AND bidder_id = ? AND voided_at IS NULL AND (? IS NULL OR id = ?)",
        (to_us(at), by, reason, auction_id, bidder_id, bid_id, bid_id),
    )
    return cursor.rowcount
