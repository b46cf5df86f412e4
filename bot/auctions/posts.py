"""Where each auction's live post is, as the Discord side reports it."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.domain.events import PostLost, PostPublished
from bot.domain.messages import MessageKind
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)


class PostRecords:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def record_post(self, auction_id: int, channel_id: int, message_id: int) -> None:
        """Remember where the auction's live post is now."""

        def transaction(uow: UnitOfWork) -> None:
            # Read first (locked where several processes write), so that the revision this
            # change takes comes after that of any bid committed before it.
            uow.auctions.get(auction_id)
            uow.auctions.set_post(auction_id, channel_id, message_id)
            uow.record(PostPublished(auction_id, channel_id, message_id))

        await self._store.write(transaction)

    async def record_post_current(self, auction_id: int, revision: int) -> None:
        """The post now shows the auction at ``revision``."""
        await self._store.write(lambda uow: uow.auctions.mark_post_current(auction_id, revision))

    async def posts_behind(self) -> list[int]:
        """Auctions whose post missed a change (the bot stopped before the edit)."""
        return await self._store.read(lambda uow: uow.auctions.posts_behind())

    async def record_post_lost(self, auction_id: int, why: str) -> bool:
        """The post can no longer be shown (its channel is gone): stop trying, and tell the
        server's audit channel once. False if it was already known."""

        def transaction(uow: UnitOfWork) -> bool:
            now = self._clock.now()
            auction = uow.auctions.get(auction_id)
            if not uow.auctions.mark_post_lost(auction_id, now):
                return False
            uow.queue(
                guild_id=auction.guild_id,
                auction_id=None,  # not held back behind, nor holding, the auction's messages
                kind=MessageKind.HOUSE_NOTICE,
                payload={
                    "text": f"The post of the auction for @{auction.handle.display} can no "
                    f"longer be shown or updated ({why}); the auction itself goes on.",
                    "handle": auction.handle.display,
                },
                at=now,
            )
            uow.record(PostLost(auction_id))
            return True

        lost = await self._store.write(transaction)
        if lost:
            log.warning("post of auction %s marked lost: %s", auction_id, why)
        return lost
