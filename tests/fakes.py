"""Test doubles for the core's collaborators (close timer, sender)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.domain.messages import OutboxMessage

CloseJob = Callable[[int], Awaitable[object]]


class RecordingTimer:
    """Remembers the close reminders the core asked for, instead of running them."""

    def __init__(self) -> None:
        self.jobs: dict[int, tuple[datetime, CloseJob]] = {}
        self.repeating: dict[str, tuple[timedelta, Callable[[], Awaitable[object]]]] = {}

    def remind_close(self, auction_id: int, at: datetime, job: CloseJob) -> None:
        self.jobs[auction_id] = (at, job)

    def forget(self, auction_id: int) -> None:
        self.jobs.pop(auction_id, None)

    def repeat(self, name: str, every: timedelta, job: Callable[[], Awaitable[object]]) -> None:
        self.repeating[name] = (every, job)

    def at(self, auction_id: int) -> datetime | None:
        entry = self.jobs.get(auction_id)
        return None if entry is None else entry[0]


class RecordingSender:
    """A sender that records what it delivered; can be told to fail."""

    def __init__(self) -> None:
        self.delivered: list[OutboxMessage] = []
        self.failures: list[Exception] = []  # raised in order, one per call, before succeeding

    async def _deliver(self, message: OutboxMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(message)

    post_auction = dm_outbid = announce_result = dm_winner = _deliver
    announce_cancellation = copy_to_audit = send_house_notice = announce_drop = _deliver
    settlement_dm = settlement_notice = _deliver

    def kinds(self) -> list[str]:
        return [m.kind.value for m in self.delivered]
