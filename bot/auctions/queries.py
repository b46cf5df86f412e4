"""Reads for rendering: auctions and bid histories as members may see them."""

from __future__ import annotations

from bot.auctions.common import auction_by_id, latest_auction
from bot.auctions.read_models import OpenPage, PublicAuction, PublicBid
from bot.domain.auction import Auction
from bot.unit_of_work import Store, UnitOfWork


class Queries:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get_auction(
        self, guild_id: int, handle: str, viewer_id: int | None = None
    ) -> PublicAuction:
        """The handle's open auction, else its most recent one."""
        found = await self._store.read(lambda uow: latest_auction(uow, guild_id, handle))
        return PublicAuction.of(found, viewer_id)

    async def get_by_id(
        self, auction_id: int, viewer_id: int | None = None, *, guild_id: int | None = None
    ) -> PublicAuction:
        """One auction by id; with ``guild_id``, only if it belongs to that server."""
        found = await self._store.read(lambda uow: auction_by_id(uow, guild_id, auction_id))
        return PublicAuction.of(found, viewer_id)

    async def list_open(self, guild_id: int, viewer_id: int | None = None) -> list[PublicAuction]:
        """Open auctions, soonest ending first."""
        found = await self._store.read(lambda uow: uow.auctions.list_open(guild_id))
        return [PublicAuction.of(a, viewer_id) for a in found]

    async def open_page(
        self, guild_id: int, page: int, page_size: int, viewer_id: int | None = None
    ) -> OpenPage:
        """One page of the open auctions (the last one if ``page`` is past it)."""

        def query(uow: UnitOfWork) -> OpenPage:
            total = uow.auctions.count_open(guild_id)
            pages = max(1, -(-total // page_size))
            shown = min(max(page, 0), pages - 1)
            found = uow.auctions.list_open(guild_id, offset=shown * page_size, limit=page_size)
            views = [PublicAuction.of(a, viewer_id) for a in found]
            return OpenPage(views=views, page=shown, pages=pages, total=total)

        return await self._store.read(query)

    async def open_matching(self, guild_id: int, typed: str, limit: int) -> list[PublicAuction]:
        """Open auctions whose handle contains ``typed`` (a handle key), soonest ending first."""
        found = await self._store.read(
            lambda uow: uow.auctions.list_open(guild_id, containing=typed, limit=limit)
        )
        return [PublicAuction.of(a) for a in found]

    async def bid_history(
        self,
        guild_id: int,
        handle: str | None = None,
        *,
        auction_id: int | None = None,
        limit: int = 10,
    ) -> list[PublicBid]:
        """An auction's most recent bids, newest first, voided ones marked. Each shows the
        price it led to, never what was typed (a leader's raise would give away their
        maximum). The auction is the handle's latest, or the one with ``auction_id``."""

        def query(uow: UnitOfWork) -> list[PublicBid]:
            found: Auction = (
                auction_by_id(uow, guild_id, auction_id)
                if auction_id is not None
                else latest_auction(uow, guild_id, handle or "")
            )
            stored = uow.auctions.bids(found.id, newest_first=True, limit=limit)
            return [PublicBid.of(b) for b in stored]

        return await self._store.read(query)
