"""Members' commands: /bid and /outbid-alerts."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AuctionBot
from bot.interface import rendering
from bot.interface.replies import Reply, actor_of, answer, guild_id_of
from cogs.options import Amount, HandleText, open_auction_choices

log = logging.getLogger(__name__)


class Bids(commands.Cog):
    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    @app_commands.command(name="bid")
    @app_commands.guild_only()
    @app_commands.rename(maximum="max")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def bid(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        amount: Amount,
        maximum: Amount | None = None,
    ) -> None:
        """Bid on a handle's auction.

        Args:
            handle: The handle up for auction, e.g. @ogname.
            amount: Your bid.
            maximum: Optional secret maximum: the bot bids for you, just enough to stay ahead, up to this.
        """
        await answer(interaction, self._bid(interaction, handle, amount, maximum))

    async def _bid(
        self, interaction: discord.Interaction[Any], handle: str, amount: int, maximum: int | None
    ) -> Reply:
        receipt = await self.house.bid_on_handle(
            guild_id_of(interaction), actor_of(interaction), handle, amount, maximum
        )
        return Reply(content=rendering.bid_reply(receipt))

    @app_commands.command(name="outbid-alerts")
    @app_commands.guild_only()
    async def outbid_alerts(self, interaction: discord.Interaction[Any], enabled: bool) -> None:
        """Turn the DM you get when someone outbids you on or off.

        Args:
            enabled: True to get a DM when outbid, False to stop them.
        """

        async def work() -> Reply:
            await self.house.set_outbid_dms(
                guild_id_of(interaction), actor_of(interaction), enabled
            )
            state = "on" if enabled else "off"
            return Reply(content=f"Outbid DMs are now {state} for you on this server.")

        await answer(interaction, work())


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Bids(bot))
