"""Every SQLite repository over one connection: what a unit of work hands out."""

from __future__ import annotations

import sqlite3

from bot.storage.sqlite.auctions import SqliteAuctions
from bot.storage.sqlite.audit import SqliteAuditLog
from bot.storage.sqlite.inventory import SqliteInventory
from bot.storage.sqlite.leases import SqliteLeases
from bot.storage.sqlite.outbox import SqliteOutbox
from bot.storage.sqlite.preferences import (
    SqliteBotState,
    SqliteMemberPreferences,
    SqliteServerSettings,
)
from bot.storage.sqlite.registry import SqliteSales
from bot.storage.sqlite.schedule import SqliteSchedule


class SqliteRepositories:
    """Stateless but for the connection, so one set serves every transaction on it."""

    __slots__ = (
        "auctions", "audit", "inventory", "leases", "members", "outbox", "sales", "schedule",
        "settings", "state",
    )  # fmt: skip

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.auctions = SqliteAuctions(conn)
        self.sales = SqliteSales(conn)
        self.audit = SqliteAuditLog(conn)
        self.outbox = SqliteOutbox(conn)
        self.leases = SqliteLeases(conn)
        self.members = SqliteMemberPreferences(conn)
        self.state = SqliteBotState(conn)
        self.settings = SqliteServerSettings(conn)
        self.inventory = SqliteInventory(conn)
        self.schedule = SqliteSchedule(conn)
