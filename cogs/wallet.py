"""/wallet: a member's credits in wallet mode (balance, holds, movements, and the history,
paged with buttons that survive restarts). Always answered privately."""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AuctionBot
from bot.interface import wallet_rendering
from bot.interface.components import PostButton, pager
from bot.interface.replies import Reply, answer, bot_of, guild_id_of

log = logging.getLogger(__name__)


class WalletPageButton(
    PostButton, template=r"wallet-history:(?P<direction>previous|next):(?P<page>[0-9]{1,6})"
):
    """Previous/Next under the wallet's history. Only the page is in the custom id: the
    history shown is always the clicking member's own."""

    def __init__(self, direction: str, page: int, *, disabled: bool = False) -> None:
        self.page = page
        super().__init__(
            f"wallet-history:{direction}:{page}", direction.capitalize(), disabled=disabled
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> WalletPageButton:
        return cls(match["direction"], int(match["page"]))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        embed, buttons = await history_page(interaction, self.page)
        await interaction.response.edit_message(embed=embed, view=buttons)


async def history_page(
    interaction: discord.Interaction[Any], page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    house = bot_of(interaction).house
    shown = await house.wallet_history(guild_id_of(interaction), interaction.user.id, page)
    return wallet_rendering.history_embed(shown), pager(
        shown.page,
        shown.pages,
        lambda way, at, off: WalletPageButton(way, at, disabled=off),
    )


class Wallet(commands.Cog):
    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(WalletPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(WalletPageButton)

    @app_commands.command(name="wallet")
    @app_commands.guild_only()
    async def wallet(
        self,
        interaction: discord.Interaction[Any],
        show: Literal["balance", "history"] = "balance",
    ) -> None:
        """Your credits on this server: balance, what your bids hold, your movements.

        Args:
            show: balance (with where your credits are held) or history (every movement, paged).
        """

        async def work() -> Reply:
            if show == "history":
                embed, buttons = await history_page(interaction, 0)
                return Reply(embed=embed, view=buttons)
            view = await self.house.wallet(guild_id_of(interaction), interaction.user.id)
            return Reply(embed=wallet_rendering.wallet_embed(view))

        await answer(interaction, work())


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Wallet(bot))
