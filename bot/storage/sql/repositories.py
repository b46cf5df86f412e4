"""Every repository over one connection: what a unit of work hands out."""

from __future__ import annotations

from bot.storage.sql.auctions import SqlAuctions
from bot.storage.sql.audit import SqlAuditLog
from bot.storage.sql.connection import Connection, Dialect
from bot.storage.sql.interactions import SqlInteractionLog
from bot.storage.sql.inventory import SqlInventory
from bot.storage.sql.leases import SqlLeases
from bot.storage.sql.ledger import SqlLedger
from bot.storage.sql.outbox import SqlOutbox
from bot.storage.sql.preferences import SqlBotState, SqlMemberPreferences, SqlServerSettings
from bot.storage.sql.registry import SqlSales
from bot.storage.sql.report import SqlReport
from bot.storage.sql.schedule import SqlSchedule
from bot.storage.sql.settlements import SqlSettlements


class SqlRepositories:
    """Stateless but for the connection (and the auctions' cache, where the dialect allows
    one), so one set serves every transaction on a connection."""

    __slots__ = (
        "auctions", "audit", "interactions", "inventory", "leases", "ledger", "members", "outbox",
        "report", "sales", "schedule", "settings", "settlements", "state",
    )  # fmt: skip

    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self.auctions = SqlAuctions(conn, dialect)
        self.sales = SqlSales(conn, dialect)
        self.audit = SqlAuditLog(conn, dialect)
        self.outbox = SqlOutbox(conn, dialect)
        self.members = SqlMemberPreferences(conn, dialect)
        self.state = SqlBotState(conn, dialect)
        self.settings = SqlServerSettings(conn, dialect)
        self.inventory = SqlInventory(conn, dialect)
        self.schedule = SqlSchedule(conn, dialect)
        self.interactions = SqlInteractionLog(conn, dialect)
        self.leases = SqlLeases(conn, dialect)
        self.settlements = SqlSettlements(conn, dialect)
        self.report = SqlReport(conn, dialect)
        self.ledger = SqlLedger(conn, dialect)

    def forget_cached(self) -> None:
        """After a rollback that undid changes, or changes made around the repositories:
        no cached copy of an uncommitted or outdated state survives."""
        self.auctions.forget_cached()
        self.settlements.forget_cached()
