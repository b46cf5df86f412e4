"""/auction: moderators start and run auctions; everyone can look them up."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import AuctionBot
from bot.domain.durations import format_duration
from bot.domain.errors import InvalidInput
from bot.domain.handles import normalise
from bot.domain.money import Currency
from bot.views import AuctionView
from cogs import rendering
from cogs.buttons import info_reply
from cogs.common import Reply, actor_of, answer, bot_of, guild_id_of, report_error
from cogs.options import (
    DISCORD_MAX_INTEGER,
    Amount,
    Duration,
    HandleText,
    Reason,
    open_auction_choices,
)

log = logging.getLogger(__name__)


class ListPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"auction-list:(?P<direction>previous|next):(?P<page>[0-9]{1,6})",
):
    """Previous/Next under /auction list. The page to show is in the custom id and the list
    is read again on each click, so the buttons never time out and survive a restart (the
    list is ephemeral: only the member who asked can click)."""

    def __init__(self, direction: str, page: int, *, disabled: bool = False) -> None:
        self.page = page
        super().__init__(
            discord.ui.Button(
                label=direction.capitalize(),
                style=discord.ButtonStyle.secondary,
                custom_id=f"auction-list:{direction}:{page}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ListPageButton:
        return cls(match["direction"], int(match["page"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            bot = bot_of(interaction)
            views = await bot.service.list_open(guild_id_of(interaction), interaction.user.id)
            embed, pager = list_page(views, self.page, bot.config.auctions.currency)
            await interaction.response.edit_message(embed=embed, view=pager)
        except Exception as exc:
            await report_error(interaction, exc)


def list_page(
    views: list[AuctionView], page: int, currency: Currency
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of /auction list, with Previous/Next when there is more than one."""
    pages = rendering.page_count(len(views))
    page = min(max(page, 0), pages - 1)
    embed = rendering.list_embed(views, page, currency)
    if pages == 1:
        return embed, None
    pager = discord.ui.View(timeout=None)
    pager.add_item(ListPageButton("previous", max(page - 1, 0), disabled=page == 0))
    pager.add_item(ListPageButton("next", min(page + 1, pages - 1), disabled=page == pages - 1))
    return embed, pager


def _check_can_post(channel: discord.abc.GuildChannel) -> None:
    """Refuse a channel the bot cannot post the auction in, before anything is listed."""
    me = channel.guild.me
    if me is None:
        return  # the server is not cached yet; delivery reports a refusal in the log
    allowed = channel.permissions_for(me)
    if not (allowed.view_channel and allowed.send_messages and allowed.embed_links):
        raise InvalidInput(
            f"I can't post in <#{channel.id}>: I need View Channel, Send Messages and Embed Links "
            "there. Pick another channel or ask an admin to grant them."
        )


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

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ListPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ListPageButton)

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
        target = channel or self._default_channel(interaction)
        channel_id = target.id if target is not None else interaction.channel_id

        async def work() -> Reply:
            actor = actor_of(interaction)
            # Who may start comes first, so a member is not told about channel permissions.
            self.service.access.require_moderator(actor)
            if isinstance(target, discord.abc.GuildChannel):
                _check_can_post(target)
            view = await self.service.start_auction(
                guild_id_of(interaction),
                actor,
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
            price = rendering.price_text(view, self.currency)
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
            return Reply(content=f"@{rendering.safe(normalise(handle))} can be auctioned again.")

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

        async def work() -> Reply:
            views = await self.service.list_open(guild_id_of(interaction), interaction.user.id)
            embed, pager = list_page(views, 0, self.currency)
            return Reply(embed=embed, view=pager)

        await answer(interaction, work())

    def _default_channel(
        self, interaction: discord.Interaction[Any]
    ) -> discord.abc.GuildChannel | None:
        """The configured auction channel if it is in this server (one config serves every
        server the bot is in), else the channel the command was used in."""
        configured = self.bot.config.discord.auction_channel_id
        guild = interaction.guild
        found = guild.get_channel(configured) if guild is not None and configured else None
        if found is not None:
            return found
        here = interaction.channel
        return here if isinstance(here, discord.abc.GuildChannel) else None


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Auctions(bot))
