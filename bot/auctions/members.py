"""Members' own preferences."""

from __future__ import annotations

from bot.domain.access import Actor
from bot.unit_of_work import Store


class MemberSettings:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def set_outbid_dms(self, guild_id: int, actor: Actor, enabled: bool) -> None:
        """A member turns the DM they get when outbid on or off."""
        await self._store.write(
            lambda uow: uow.members.set_outbid_dms(guild_id, actor.user_id, enabled)
        )

    async def wants_outbid_dms(self, guild_id: int, user_id: int) -> bool:
        return await self._store.read(lambda uow: uow.members.outbid_dms(guild_id, user_id))
