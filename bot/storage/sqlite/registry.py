"""The sold-handles registry in SQLite (``SaleRegistry``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.domain.handles import Handle
from bot.domain.records import Sale
from bot.storage.sqlite.codec import from_us, to_us


class SqliteSales:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

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
            "SELECT guild_id, handle_key, handle_display, auction_id, winner_id, price, sold_at"
            " FROM sold_handles WHERE guild_id = ? AND handle_key = ? AND released_at IS NULL",
            (guild_id, handle_key),
        ).fetchone()
        if row is None:
            return None
        return Sale(
            guild_id=row[0],
            handle=Handle(display=row[2], key=row[1]),
            auction_id=row[3],
            winner_id=row[4],
            price=row[5],
            sold_at=from_us(row[6]),
        )

    def release(
        self, guild_id: int, handle_key: str, *, by: int, reason: str, at: datetime
    ) -> bool:
        cursor = self._conn.execute(
            "UPDATE sold_handles SET released_at = ?, released_by = ?, release_reason = ?"
            " WHERE guild_id = ? AND handle_key = ? AND released_at IS NULL",
            (to_us(at), by, reason, guild_id, handle_key),
        )
        return cursor.rowcount == 1
