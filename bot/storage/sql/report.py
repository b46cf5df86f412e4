"""The revenue report's reads (``ReportQueries``): auctions closed, sales recorded, pledge
defaults and second-chance sales in a span of time. Read only; the same SQL on both stores."""

from __future__ import annotations

from datetime import datetime

from bot.domain.auction import Outcome, Status
from bot.domain.handles import Handle
from bot.domain.report import ClosedGroup, SaleRow
from bot.storage.sql.codec import from_us, to_us
from bot.storage.sql.connection import Connection, Dialect


def _span(since: datetime | None, until: datetime) -> tuple[int, int]:
    return (0 if since is None else to_us(since)), to_us(until)


class SqlReport:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def closed(self, guild_id: int, since: datetime | None, until: datetime) -> list[ClosedGroup]:
        # Counted in the database, grouped: a server's whole history is a handful of rows.
        rows = self._conn.execute(
            "SELECT status, outcome, sold, settlement, COUNT(*), MIN(closed_at) FROM ("
            "  SELECT a.status, a.outcome, a.closed_at, st.status AS settlement,"
            "    CASE WHEN s.auction_id IS NULL THEN 0 ELSE 1 END AS sold"
            "  FROM auctions a"
            "  LEFT JOIN settlements st ON st.auction_id = a.id"
            # A join, not a correlated EXISTS: sold_handles has no index on auction_id, and
            # this way each store reads it once (a hash join, or an automatic index).
            "  LEFT JOIN (SELECT DISTINCT auction_id FROM sold_handles WHERE guild_id = ?) s"
            "    ON s.auction_id = a.id"
            "  WHERE a.guild_id = ? AND a.status IN ('closed', 'cancelled')"
            "    AND a.closed_at >= ? AND a.closed_at <= ?"
            ") AS closed_auctions GROUP BY status, outcome, sold, settlement",
            (guild_id, guild_id, *_span(since, until)),
        ).fetchall()
        return [
            ClosedGroup(
                status=Status(r[0]),
                outcome=None if r[1] is None else Outcome(r[1]),
                sold=bool(r[2]),
                settlement=r[3],
                count=r[4],
                first_closed_at=from_us(r[5]),
            )
            for r in rows
        ]

    def sales(self, guild_id: int, since: datetime | None, until: datetime) -> list[SaleRow]:
        rows = self._conn.execute(
            "SELECT auction_id, handle_key, handle_display, winner_id, price, sold_at, released_at"
            " FROM sold_handles WHERE guild_id = ? AND sold_at >= ? AND sold_at <= ?"
            " ORDER BY sold_at, id",
            (guild_id, *_span(since, until)),
        ).fetchall()
        return [
            SaleRow(
                auction_id=r[0],
                handle=Handle(display=r[2], key=r[1]),
                winner_id=r[3],
                price=r[4],
                sold_at=from_us(r[5]),
                released=r[6] is not None,
            )
            for r in rows
        ]

    def defaults(self, guild_id: int, since: datetime | None, until: datetime) -> int:
        count: int = self._conn.execute(
            "SELECT COUNT(*) FROM settlement_steps WHERE guild_id = ? AND state = 'defaulted'"
            " AND decided_at >= ? AND decided_at <= ?",
            (guild_id, *_span(since, until)),
        ).fetchone()[0]
        return count

    def second_chance_sales(
        self, guild_id: int, since: datetime | None, until: datetime
    ) -> frozenset[int]:
        rows = self._conn.execute(
            "SELECT p.auction_id FROM settlement_steps p"
            " JOIN settlements s ON s.auction_id = p.auction_id"
            " WHERE p.guild_id = ? AND s.status = 'paid' AND p.state = 'paid' AND p.round > 0"
            " AND p.decided_at >= ? AND p.decided_at <= ?",
            (guild_id, *_span(since, until)),
        ).fetchall()
        return frozenset(r[0] for r in rows)
