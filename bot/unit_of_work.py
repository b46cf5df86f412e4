"""The unit of work: what one write transaction sees and what it records.

A use case's transaction is a plain function of a ``UnitOfWork``. It reads and writes through
the repositories, and records each thing that happened as it happens (``uow.record(...)``).
The store runs it inside a transaction (a savepoint of a group-committed batch, for SQLite)
and, after COMMIT, publishes the recorded events; a transaction that raised is rolled back
and its events are dropped with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.domain.events import Event, MessageQueued
from bot.domain.messages import MessageKind
from bot.ports import (
    AuctionRepository,
    AuditLog,
    BotStateRepository,
    InteractionLog,
    InventoryRepository,
    LeaseRepository,
    LedgerRepository,
    MemberPreferences,
    OutboxRepository,
    ReportQueries,
    Repositories,
    SaleRegistry,
    ScheduleRepository,
    ServerSettingsRepository,
    SettlementRepository,
)

T = TypeVar("T")


class UnitOfWork:
    __slots__ = (
        "auctions", "audit", "events", "interactions", "inventory", "leases", "ledger", "members", "outbox",
        "report", "sales", "schedule", "settings", "settlements", "state",
    )  # fmt: skip

    def __init__(self, repositories: Repositories) -> None:
        self.auctions: AuctionRepository = repositories.auctions
        self.sales: SaleRegistry = repositories.sales
        self.audit: AuditLog = repositories.audit
        self.outbox: OutboxRepository = repositories.outbox
        self.leases: LeaseRepository = repositories.leases
        self.members: MemberPreferences = repositories.members
        self.state: BotStateRepository = repositories.state
        self.settings: ServerSettingsRepository = repositories.settings
        self.inventory: InventoryRepository = repositories.inventory
        self.schedule: ScheduleRepository = repositories.schedule
        self.interactions: InteractionLog = repositories.interactions
        self.settlements: SettlementRepository = repositories.settlements
        self.report: ReportQueries = repositories.report
        self.ledger: LedgerRepository = repositories.ledger
        self.events: list[Event] = []

    def record(self, event: Event) -> None:
        self.events.append(event)

    def queue(
        self,
        *,
        guild_id: int,
        auction_id: int | None,
        kind: MessageKind,
        payload: dict[str, Any],
        at: datetime,
        due_at: datetime | None = None,
    ) -> int | None:
        """Add a message to the outbox (to go out at ``due_at``, if later than now); the
        dispatcher hears of it after the commit. Returns its id (None: one pending covers it)."""
        added = self.outbox.add(
            guild_id=guild_id, auction_id=auction_id, kind=kind, payload=payload, at=at,
            due_at=due_at,
        )  # fmt: skip
        if added is not None:
            self.record(MessageQueued(kind))
        return added


Transaction = Callable[[UnitOfWork], T]


class Store(Protocol):
    """A database behind the ports. ``write`` returns only after COMMIT: an acknowledged write
    is on disk. Events recorded by a write are published once it committed, even if the
    caller stopped waiting.

    A write submitted while an interaction is being handled (``bot.interactions.handling``)
    first claims that interaction's next key (``uow.interactions.claim``) in its own
    transaction; if the key was taken, by another process that received the same
    interaction, it raises ``AlreadyHandled`` and changes nothing. A transaction that raises
    a refusal (an ``AuctionError``) keeps its key: the refusal was the interaction's answer,
    and a copy of the interaction must not be applied later against a changed state. Any
    other failure gives the key back with the rest of the transaction."""

    async def write(self, transaction: Transaction[T]) -> T: ...

    async def read(self, query: Transaction[T]) -> T: ...

    async def close(self) -> None: ...
