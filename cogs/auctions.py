"""/auction: moderators start and run auctions; everyone can look them up."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AuctionBot
from bot.domain.durations import format_duration
from bot.views import AuctionView
from cogs import rendering
from cogs.buttons import info_reply
from cogs.common import Reply, actor_of, answer, guild_id_of, send
from cogs.options import (
    DISCORD_MAX_INTEGER,
    Amount,
    Duration,
    HandleText,
    Reason,
    open_auction_choices,
)

log = logging.getLogger(__name__)

PAGER_TIMEOUT = 300.0


class ListPager(discord.ui.View):
    """Previous/next buttons for /auction list, for the member who asked."""

    def __init__(self, owner_id: int, views: list[AuctionView], bot: AuctionBot) -> None:
        super().__init__(timeout=PAGER_TIMEOUT)
        self.owner_id = owner_id
        self.views = views
        self.currency = bot.config.auctions.currency
        self.page = 0
        self.pages = max(1, -(-len(views) // rendering.LIST_PAGE_SIZE))
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        return rendering.list_embed(self.views, self.page, self.currency)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.owner_id

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, 1)


class Auctions(commands.Cog):
    auction = app_commands.Group(
        name="auction",
        description="Handle auctions: start and run them (moderators), look them up (everyone).",
        guild_only=True,
    )

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.currency = bot.config.auctions.currency

    # -- moderators ---------------------------------------------------------------------------

    @auction.command(name="start")
    async def start(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        starting_bid: Amount,
        duration: Duration,
        reserve: Amount | None = None,
        buy_now: Amount | None = None,
        increment: app_commands.Range[str, 1, 20] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Put a handle up for auction (moderators).

        Args:
            handle: The handle to sell, e.g. @ogname.
            starting_bid: The lowest opening bid.
            duration: How long bidding runs, e.g. 90s, 10m, 2h, 3d or 1h30m.
            reserve: Secret minimum price: below it, the handle is not sold.
            buy_now: A bid of this much ends the auction at once.
            increment: Minimum raise over the price: an amount (10) or a percentage (5%).
            channel: Where to post the auction (default: the auction channel, else here).
        """
        channel_id = (
            channel.id
            if channel is not None
            else self.bot.config.discord.auction_channel_id or interaction.channel_id
        )

        async def work() -> Reply:
            view = await self.service.start_auction(
                guild_id_of(interaction),
                actor_of(interaction),
                handle,
                starting_bid=starting_bid,
                duration=duration,
                reserve=reserve,
                buy_now=buy_now,
                increment=increment,
                channel_id=channel_id,
            )
            return Reply(
                content=(
                    f"Auction for {rendering.handle_text(view)} started: it ends "
                    f"{rendering.when(view.ends_at)}. The post is going up in <#{channel_id}>."
                )
            )

        await answer(interaction, work())

    @auction.command(name="cancel")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def cancel(
        self, interaction: discord.Interaction[Any], handle: HandleText, reason: Reason
    ) -> None:
        """Cancel an auction: no winner, no sale (moderators).

        Args:
            handle: The handle whose auction to cancel.
            reason: Why; shown in the announcement and the audit log.
        """

        async def work() -> Reply:
            view = await self.service.cancel(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(content=f"Auction for {rendering.handle_text(view)} cancelled.")

        await answer(interaction, work())

    @auction.command(name="end")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def end(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        reason: Reason | None = None,
    ) -> None:
        """End an auction now, with the result it has (moderators).

        Args:
            handle: The handle whose auction to end.
            reason: Why (optional); goes into the audit log.
        """

        async def work() -> Reply:
            view = await self.service.end_now(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(
                content=f"Auction for {rendering.handle_text(view)} ended. {rendering.outcome_text(view, self.currency)}"
            )

        await answer(interaction, work())

    @auction.command(name="extend")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def extend(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        duration: Duration,
        reason: Reason | None = None,
    ) -> None:
        """Give an auction more time (moderators).

        Args:
            handle: The handle whose auction to extend.
            duration: How much longer, e.g. 30m or 1d.
            reason: Why (optional); goes into the audit log.
        """

        async def work() -> Reply:
            view = await self.service.extend(
                guild_id_of(interaction), actor_of(interaction), handle, duration, reason
            )
            return Reply(
                content=(
                    f"Auction for {rendering.handle_text(view)} extended by {format_duration(duration)}: "
                    f"it now ends {rendering.when(view.ends_at)}."
                )
            )

        await answer(interaction, work())

    @auction.command(name="void-bid")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def void_bid(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        bidder: discord.User,
        reason: Reason,
        bid: app_commands.Range[int, 1, DISCORD_MAX_INTEGER] | None = None,
    ) -> None:
        """Void a member's bids on an auction; price and leader are recomputed (moderators).

        Args:
            handle: The handle whose auction it is.
            bidder: The member whose bids to void.
            reason: Why; goes into the audit log.
            bid: Only this bid of theirs (its number, as /auction info shows it); default: all.
        """

        async def work() -> Reply:
            receipt = await self.service.void_bids(
                guild_id_of(interaction),
                actor_of(interaction),
                handle,
                bidder.id,
                reason,
                bid_id=bid,
            )
            view = receipt.auction
            price = self.currency.format(view.price) if view.price is not None else "no bids"
            return Reply(
                content=(
                    f"Voided {receipt.voided} bid(s) by {rendering.mention(bidder.id)} on "
                    f"{rendering.handle_text(view)}. Now: {price}, leader {rendering.mention(view.leader_id)}."
                )
            )

        await answer(interaction, work())

    @auction.command(name="release")
    async def release(
        self, interaction: discord.Interaction[Any], handle: HandleText, reason: Reason
    ) -> None:
        """Take a sold handle off the sold list so it can be auctioned again (moderators).

        Args:
            handle: The sold handle.
            reason: Why; goes into the audit log.
        """

        async def work() -> Reply:
            await self.service.release_handle(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(
                content=f"@{rendering.safe(handle.strip().lstrip('@'))} can be auctioned again."
            )

        await answer(interaction, work())

    # -- everyone -------------------------------------------------------------------------------

    @auction.command(name="info")
    @app_commands.autocomplete(handle=open_auction_choices)
    async def info(self, interaction: discord.Interaction[Any], handle: HandleText) -> None:
        """An auction's state, minimum next bid, time left and latest bids.

        Args:
            handle: The handle to look up.
        """

        async def work() -> Reply:
            view = await self.service.get_auction(guild_id_of(interaction), handle)
            return await info_reply(interaction, view.id)

        await answer(interaction, work())

    @auction.command(name="list")
    async def list_open(self, interaction: discord.Interaction[Any]) -> None:
        """The open auctions, soonest ending first."""
        views = await self.service.list_open(guild_id_of(interaction), interaction.user.id)
        pager = ListPager(interaction.user.id, views, self.bot)
        await send(
            interaction,
            Reply(embed=pager.embed(), view=pager if pager.pages > 1 else None),
        )


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Auctions(bot))
