"""The sold-handles registry (``SaleRegistry``)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.handles import Handle
from bot.domain.records import Sale
from bot.storage.sql.codec import from_us, to_us
from bot.storage.sql.connection import Connection, Dialect

_COLUMNS = "guild_id, handle_key, handle_display, auction_id, winner_id, price, sold_at"


def _sale(row: tuple[int, str, str, int, int, int, int]) -> Sale:
    return Sale(
        guild_id=row[0],
        handle=Handle(display=row[2], key=row[1]),
        auction_id=row[3],
        winner_id=row[4],
        price=row[5],
        sold_at=from_us(row[6]),
    )


class SqlSales:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def record(self, sale: Sale) -> None:
        self._conn.execute(
            "INSERT INTO sold_handles (guild_id, handle_key, handle_display, auction_id,"
            " winner_id, price, sold_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                sale.guild_id, sale.handle.key, sale.handle.display, sale.auction_id,
                sale.winner_id, sale.price, to_us(sale.sold_at),
            ),
        )  # fmt: skip

    def current(self, guild_id: int, handle_key: str) -> Sale | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM sold_handles"
            " WHERE guild_id = ? AND handle_key = ? AND released_at IS NULL",
            (guild_id, handle_key),
        ).fetchone()
        return None if row is None else _sale(row)

    def holdings(
        self, guild_id: int, *, winner_id: int | None, offset: int, limit: int
    ) -> tuple[list[Sale], int]:
        where = "guild_id = ? AND released_at IS NULL"
        params: tuple[int, ...] = (guild_id,)
        if winner_id is not None:
            where += " AND winner_id = ?"
            params += (winner_id,)
        total = self._conn.execute(
            f"SELECT COUNT(*) FROM sold_handles WHERE {where}", params
        ).fetchone()[0]
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM sold_handles WHERE {where}"
            " ORDER BY sold_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [_sale(r) for r in rows], total

    def prices_by_length(self, guild_id: int, low: int, high: int | None) -> list[int]:
        # Every sale counts, released or not: it is what the handle fetched.
        rows = self._conn.execute(
            "SELECT price FROM sold_handles WHERE guild_id = ?"
            " AND length(handle_key) >= ? AND length(handle_key) <= ?",
            (guild_id, low, high if high is not None else 2**31),
        ).fetchall()
        return [r[0] for r in rows]

    def release(
        self, guild_id: int, handle_key: str, *, by: int, reason: str, at: datetime
    ) -> bool:
        cursor = self._conn.execute(
            "UPDATE sold_handles SET released_at = ?, released_by = ?, release_reason = ?"
            " WHERE guild_id = ? AND handle_key = ? AND released_at IS NULL",
            (to_us(at), by, reason, guild_id, handle_key),
        )
        return cursor.rowcount == 1
