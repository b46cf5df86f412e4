"""/auction: everyone looks auctions up."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.auctions.read_models import OpenPage
from bot.client import AuctionBot
from bot.interface import rendering
from bot.interface.components import PostButton, info_reply, pager
from bot.interface.replies import Reply, answer, bot_of, guild_id_of
from cogs.options import HandleText, open_auction_choices

log = logging.getLogger(__name__)


class ListPageButton(
    PostButton, template=r"auction-list:(?P<direction>previous|next):(?P<page>[0-9]{1,6})"
):
    """Previous/Next under /auction list. The page to show is in the custom id and the list
    is read again on each click, so the buttons never time out and survive a restart (the
    list is ephemeral: only the member who asked can click)."""

    def __init__(self, direction: str, page: int, *, disabled: bool = False) -> None:
        self.page = page
        super().__init__(
            f"auction-list:{direction}:{page}", direction.capitalize(), disabled=disabled
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ListPageButton:
        return cls(match["direction"], int(match["page"]))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        house = bot_of(interaction).house
        page = await house.open_page(
            guild_id_of(interaction), self.page, rendering.LIST_PAGE_SIZE, interaction.user.id
        )
        embed, pager = list_page(page)
        await interaction.response.edit_message(embed=embed, view=pager)


def list_page(page: OpenPage) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of /auction list, with Previous/Next when there is more than one."""
    buttons = pager(
        page.page, page.pages, lambda way, at, off: ListPageButton(way, at, disabled=off)
    )
    return rendering.list_embed(page), buttons


class Auctions(commands.Cog):
    auction = app_commands.Group(
        name="auction", description="Look up handle auctions.", guild_only=True
    )

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ListPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ListPageButton)

    @auction.command(name="info")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def info(self, interaction: discord.Interaction[Any], handle: HandleText) -> None:
        """An auction's state, minimum next bid, time left and latest bids.

        Args:
            handle: The handle to look up.
        """

        async def work() -> Reply:
            view = await self.house.get_auction(guild_id_of(interaction), handle)
            return await info_reply(interaction, view.id)

        await answer(interaction, work())

    @auction.command(name="list")
    async def list_open(self, interaction: discord.Interaction[Any]) -> None:
        """The open auctions, soonest ending first."""

        async def work() -> Reply:
            page = await self.house.open_page(
                guild_id_of(interaction), 0, rendering.LIST_PAGE_SIZE, interaction.user.id
            )
            embed, pager = list_page(page)
            return Reply(embed=embed, view=pager)

        await answer(interaction, work())


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Auctions(bot))
