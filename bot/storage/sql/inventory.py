"""The inventory (``InventoryRepository``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.errors import AuctionNotFound, HandleUnavailable
from bot.domain.handles import Handle
from bot.domain.inventory import InventoryItem, ItemStatus, NewItem, StockPrices
from bot.storage.sql.codec import from_us, to_us
from bot.storage.sql.connection import MAX_ROW_ID, Connection, Dialect

_COLUMNS = (
    "id, guild_id, handle_key, handle_display, starting_bid, reserve, buy_now, tags, note,"
    " score, status, added_by, added_at, auction_id, relists, relist_base"
)
_ORDER = {
    "value": "score DESC, length(handle_key), handle_key",
    "length": "length(handle_key), score DESC, handle_key",
    "name": "handle_key",
}
_INSERT = (
    "INSERT INTO inventory (guild_id, handle_key, handle_display, starting_bid, reserve,"
    " buy_now, tags, note, score, added_by, added_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _item(row: Any) -> InventoryItem:
    (
        id_, guild_id, key, display, starting_bid, reserve, buy_now, tags, note, score,
        status, added_by, added_at, auction_id, relists, relist_base,
    ) = row  # fmt: skip
    return InventoryItem(
        id=id_,
        guild_id=guild_id,
        handle=Handle(display=display, key=key),
        prices=StockPrices(starting_bid, reserve, buy_now),
        tags=tuple(t for t in tags.split(",") if t),
        note=note,
        score=score,
        status=ItemStatus(status),
        added_by=added_by,
        added_at=from_us(added_at),
        auction_id=auction_id,
        relists=relists,
        relist_base=relist_base,
    )


def _values(guild_id: int, item: NewItem, by: int, at: int) -> tuple[Any, ...]:
    p = item.prices
    return (
        guild_id, item.handle.key, item.handle.display, p.starting_bid, p.reserve, p.buy_now,
        ",".join(item.tags), item.note, item.score, by, at, at,
    )  # fmt: skip


class SqlInventory:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def add_many(
        self, guild_id: int, items: list[NewItem], *, by: int, at: datetime
    ) -> list[InventoryItem | None]:
        stamp = to_us(at)
        added: list[InventoryItem | None] = []
        for item in items:
            # A handle already held (the unique index) is skipped, not an error.
            cursor = self._conn.execute(
                f"{_INSERT} ON CONFLICT DO NOTHING{self._dialect.returning_id}",
                _values(guild_id, item, by, stamp),
            )
            item_id = self._dialect.inserted_id(cursor)
            if item_id is None:
                added.append(None)
                continue
            added.append(self._added(item_id, guild_id, item, by, at))
        return added

    @staticmethod
    def _added(item_id: int, guild_id: int, item: NewItem, by: int, at: datetime) -> InventoryItem:
        return InventoryItem(
            id=item_id, guild_id=guild_id, handle=item.handle, prices=item.prices,
            tags=item.tags, note=item.note, score=item.score, status=ItemStatus.AVAILABLE,
            added_by=by, added_at=at,
        )  # fmt: skip

    def add(self, guild_id: int, item: NewItem, *, by: int, at: datetime) -> InventoryItem:
        (added,) = self.add_many(guild_id, [item], by=by, at=at)
        if added is None:
            raise HandleUnavailable(f"{item.handle} is already in the inventory.")
        return added

    def find(self, guild_id: int, handle_key: str) -> InventoryItem | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM inventory"
            f" WHERE guild_id = ? AND handle_key = ? AND status != 'withdrawn'{self._dialect.lock_for_update}",
            (guild_id, handle_key),
        ).fetchone()
        return None if row is None else _item(row)

    def get(self, item_id: int) -> InventoryItem:
        row = None
        if 0 < item_id <= MAX_ROW_ID:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM inventory WHERE id = ?{self._dialect.lock_for_update}",
                (item_id,),
            ).fetchone()
        if row is None:
            raise AuctionNotFound("That handle is no longer in the inventory.")
        return _item(row)

    def keys_in(self, guild_id: int, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):  # SQLite's limit on parameters is 32,766
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                "SELECT handle_key FROM inventory WHERE guild_id = ? AND status != 'withdrawn'"
                f" AND handle_key IN ({marks})",
                (guild_id, *chunk),
            ).fetchall()
            found.update(r[0] for r in rows)
        return found

    def page(
        self,
        guild_id: int,
        *,
        status: ItemStatus | None,
        containing: str,
        tag: str | None,
        sort: str,
        offset: int,
        limit: int,
    ) -> tuple[list[InventoryItem], int]:
        where = ["guild_id = ?"]
        params: list[Any] = [guild_id]
        if status is None:
            where.append("status != 'withdrawn'")
        else:
            where.append("status = ?")
            params.append(status.value)
        if containing:
            # instr, not LIKE: what a moderator types is matched as text, never as a pattern.
            where.append("instr(handle_key, ?) > 0")
            params.append(containing)
        if tag:
            where.append("instr(',' || tags || ',', ?) > 0")
            params.append(f",{tag},")
        clause = " AND ".join(where)
        total = self._conn.execute(
            f"SELECT COUNT(*) FROM inventory WHERE {clause}", params
        ).fetchone()[0]
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM inventory WHERE {clause} ORDER BY {_ORDER[sort]}"
            " LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [_item(r) for r in rows], total

    def set_status(
        self, item_id: int, status: ItemStatus, *, at: datetime, auction_id: int | None = None
    ) -> None:
        self._conn.execute(
            "UPDATE inventory SET status = ?, updated_at = ?,"
            " auction_id = coalesce(?, auction_id) WHERE id = ?",
            (status.value, to_us(at), auction_id, item_id),
        )

    def set_relists(self, item_id: int, relists: int, base: int | None) -> None:
        self._conn.execute(
            "UPDATE inventory SET relists = ?, relist_base = ? WHERE id = ?",
            (relists, base, item_id),
        )

    def withdraw(self, item_id: int, *, by: int, reason: str, at: datetime) -> bool:
        cursor = self._conn.execute(
            "UPDATE inventory SET status = 'withdrawn', withdrawn_by = ?, withdrawn_at = ?,"
            " withdraw_reason = ?, updated_at = ? WHERE id = ? AND status = 'available'",
            (by, to_us(at), reason, to_us(at), item_id),
        )
        return cursor.rowcount == 1
