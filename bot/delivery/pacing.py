"""Keeps the bot's own requests under Discord's global rate limit (50 requests/s per bot,
interaction responses excepted). discord.py waits out a limit once Discord reports it; this
makes the outbox and the post editor never reach it, so a storm of closes is delivered at a
steady pace instead of a run of 429s.

The limit is the bot's, however many processes share its token: each keeps to its share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


def request_share(requests_per_second: int, processes: int) -> int:
    """One process's share of the bot's requests per second, when ``processes`` share the
    token: rounded down so that together they stay under it, but never none."""
    return max(1, requests_per_second // processes)


class RequestPace:
    """A token bucket: on average at most ``per_second`` requests a second, with bursts of
    up to ``burst``. Waiters are served in the order they came (``asyncio.Lock`` is fair)."""

    def __init__(
        self,
        per_second: float,
        *,
        burst: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self._burst = float(burst if burst is not None else max(1, int(per_second)))
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = self._burst
        self._updated = monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self.per_second)
        self._updated = now

    async def acquire(self) -> float:
        """Wait for a turn to make one request; returns how long it waited."""
        async with self._lock:
            self._refill()
            waited = 0.0
            if self._tokens < 1:
                waited = (1 - self._tokens) / self.per_second
                await self._sleep(waited)
                self._refill()
            self._tokens -= 1
            return waited
