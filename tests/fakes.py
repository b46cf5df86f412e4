"""Test doubles for the core's collaborators (clock, reminders, sender)."""

from __future__ import annotations

from datetime import datetime

from bot.scheduling import CloseJob
from bot.storage.outbox import OutboxMessage


class RecordingReminders:
    """Remembers the close reminders the service asked for, instead of running them."""

    def __init__(self) -> None:
        self.jobs: dict[int, tuple[datetime, CloseJob]] = {}

    def remind_close(self, auction_id: int, at: datetime, job: CloseJob) -> None:
        self.jobs[auction_id] = (at, job)

    def forget(self, auction_id: int) -> None:
        self.jobs.pop(auction_id, None)

    def at(self, auction_id: int) -> datetime | None:
        entry = self.jobs.get(auction_id)
        return None if entry is None else entry[0]


class RecordingSender:
    """A sender that records what it delivered; can be told to fail."""

    def __init__(self) -> None:
        self.delivered: list[OutboxMessage] = []
        self.failures: list[Exception] = []  # raised in order, one per call, before succeeding

    async def deliver(self, message: OutboxMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(message)

    def kinds(self) -> list[str]:
        return [m.kind.value for m in self.delivered]
