"""/handles: everyone looks up who holds which sold handle."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AuctionBot
from bot.interface import rendering, stock_rendering
from bot.interface.components import PostButton, pager
from bot.interface.replies import Reply, answer, bot_of, guild_id_of
from cogs.options import HandleText

log = logging.getLogger(__name__)

PAGE_SIZE = 10


class SoldPageButton(
    PostButton,
    template=r"handles-sold:(?P<direction>previous|next):(?P<page>[0-9]{1,6}):(?P<member>[0-9]{1,19})",
):
    """Previous/Next under /handles sold (the page and member are in the custom id)."""

    def __init__(self, direction: str, page: int, member: int, *, disabled: bool = False) -> None:
        self.page, self.member = page, member
        super().__init__(
            f"handles-sold:{direction}:{page}:{member}", direction.capitalize(), disabled=disabled
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SoldPageButton:
        member = int(match["member"])
        # Custom ids can be forged: an id no Discord member can have is "none".
        return cls(match["direction"], int(match["page"]), member if member < 2**63 else 0)

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        embed, pager = await sold_page(interaction, self.page, self.member or None)
        await interaction.response.edit_message(embed=embed, view=pager)


async def sold_page(
    interaction: discord.Interaction[Any], page: int, member_id: int | None
) -> tuple[discord.Embed, discord.ui.View | None]:
    house = bot_of(interaction).house
    guild_id = guild_id_of(interaction)
    shown = await house.stock.sold_page(
        guild_id, member_id=member_id, page=page, page_size=PAGE_SIZE
    )
    embed = stock_rendering.sold_embed(shown.sales, shown.total, shown.page, shown.pages, member_id)
    return embed, pager(
        shown.page,
        shown.pages,
        lambda way, at, off: SoldPageButton(way, at, member_id or 0, disabled=off),
    )


class Handles(commands.Cog):
    handles = app_commands.Group(
        name="handles", description="Who holds which sold handle.", guild_only=True
    )

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SoldPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SoldPageButton)

    @handles.command(name="sold")
    async def sold(
        self, interaction: discord.Interaction[Any], member: discord.User | None = None
    ) -> None:
        """Sold handles and who holds them, newest first.

        Args:
            member: Only the handles this member holds.
        """

        async def work() -> Reply:
            embed, pager = await sold_page(interaction, 0, member.id if member else None)
            return Reply(embed=embed, view=pager)

        await answer(interaction, work())

    @handles.command(name="owner")
    async def owner(self, interaction: discord.Interaction[Any], handle: HandleText) -> None:
        """Who holds a sold handle, since when and for how much.

        Args:
            handle: The handle, e.g. @ogname.
        """

        async def work() -> Reply:
            guild_id = guild_id_of(interaction)
            sale, currency = await self.house.stock.owner(guild_id, handle)
            return Reply(
                content=f"{rendering.safe_handle(sale.handle.display)} is held by "
                f"{rendering.mention(sale.winner_id)} since {stock_rendering.stamp(sale.sold_at, 'D')}, "
                f"bought for {currency.format(sale.price)}."
            )

        await answer(interaction, work())


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Handles(bot))
