"""Small facts the bot remembers between runs (command-sync fingerprints, its nonce prefix)."""

from __future__ import annotations

from bot.clock import Clock
from bot.unit_of_work import Store


class BotMemory:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def recall(self, key: str) -> str | None:
        return await self._store.read(lambda uow: uow.state.get(key))

    async def remember(self, key: str, value: str) -> None:
        now = self._clock.now()
        await self._store.write(lambda uow: uow.state.set(key, value, now))
