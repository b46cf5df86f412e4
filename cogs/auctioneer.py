"""/auctioneer: moderators start and run auctions. Discord shows it only to members with
Manage Server (and roles an admin grants it to); the core checks every call itself."""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import report_chart
from bot.client import AuctionBot
from bot.domain.drops import MAX_DROP_SIZE
from bot.domain.durations import format_duration
from bot.domain.errors import InvalidInput
from bot.domain.handles import normalise
from bot.interface import rendering, settlement_rendering, stock_rendering, wallet_rendering
from bot.interface.replies import Reply, actor_of, answer, guild_id_of
from bot.interface.report_rendering import CHART_FILE, report_embed
from cogs.options import (
    DISCORD_MAX_INTEGER,
    MANAGE_SERVER,
    Amount,
    Duration,
    HandleText,
    Reason,
    open_auction_choices,
)

log = logging.getLogger(__name__)


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


class Auctioneer(commands.Cog):
    auctioneer = app_commands.Group(
        name="auctioneer",
        description="Run handle auctions (moderators).",
        guild_only=True,
        default_permissions=MANAGE_SERVER,
    )

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    @auctioneer.command(name="start")
    async def start(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        duration: Duration,
        starting_bid: Amount | None = None,
        reserve: Amount | None = None,
        buy_now: Amount | None = None,
        increment: app_commands.Range[str, 1, 20] | None = None,
        channel: discord.TextChannel | None = None,
        override: bool = False,
        reason: Reason | None = None,
    ) -> None:
        """Put a handle up for auction.

        Args:
            handle: The handle to sell, e.g. @ogname.
            duration: How long bidding runs, e.g. 90s, 10m, 2h, 3d or 1h30m.
            starting_bid: The lowest opening bid (default: the inventory's, if it has one).
            reserve: Secret minimum price: below it, the handle is not sold.
            buy_now: A bid of this much ends the auction at once.
            increment: Minimum raise over the price: an amount (10) or a percentage (5%).
            channel: Where to post the auction (default: the auction channel, else here).
            override: List a name on the brand list anyway (needs a reason; audited).
            reason: Why the brand name is listed (with override).
        """

        async def work() -> Reply:
            actor = actor_of(interaction)
            settings = await self.house.settings_for(guild_id_of(interaction))
            # Who may start comes first, so a member is not told about channel permissions.
            settings.access.require_moderator(actor)
            channel_id = _posting_channel(interaction, channel, settings.auction_channel_id)
            view = await self.house.start_auction(
                guild_id_of(interaction),
                actor,
                handle,
                starting_bid=starting_bid,
                duration=duration,
                reserve=reserve,
                buy_now=buy_now,
                increment=increment,
                channel_id=channel_id,
                override=override,
                reason=reason,
            )
            appraisal = await self.house.stock.appraise(guild_id_of(interaction), actor, handle)
            return Reply(
                content=(
                    f"Auction for {rendering.handle_text(view)} started at "
                    f"{view.currency.format(view.starting_bid)}: it ends "
                    f"{rendering.when(view.ends_at)}. The post is going up in <#{channel_id}>.\n"
                    + stock_rendering.appraisal_text(appraisal, view.currency)
                )
            )

        await answer(interaction, work())

    @auctioneer.command(name="cancel")
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
            view = await self.house.cancel(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(content=f"Auction for {rendering.handle_text(view)} cancelled.")

        await answer(interaction, work())

    @auctioneer.command(name="end")
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
            view = await self.house.end_now(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(
                content=f"Auction for {rendering.handle_text(view)} ended. {rendering.outcome_text(view)}"
            )

        await answer(interaction, work())

    @auctioneer.command(name="extend")
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
            view = await self.house.extend(
                guild_id_of(interaction), actor_of(interaction), handle, duration, reason
            )
            return Reply(
                content=(
                    f"Auction for {rendering.handle_text(view)} extended by {format_duration(duration)}: "
                    f"it now ends {rendering.when(view.ends_at)}."
                )
            )

        await answer(interaction, work())

    @auctioneer.command(name="void-bid")
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
            receipt = await self.house.void_bids(
                guild_id_of(interaction),
                actor_of(interaction),
                handle,
                bidder.id,
                reason,
                bid_id=bid,
            )
            view = receipt.auction
            price = rendering.price_text(view)
            return Reply(
                content=(
                    f"Voided {receipt.voided} bid(s) by {rendering.mention(bidder.id)} on "
                    f"{rendering.handle_text(view)}. Now: {price}, leader {rendering.mention(view.leader_id)}."
                )
            )

        await answer(interaction, work())

    @auctioneer.command(name="release")
    async def release(
        self, interaction: discord.Interaction[Any], handle: HandleText, reason: Reason
    ) -> None:
        """Take a sold handle off the sold list so it can be auctioned again (moderators).

        Args:
            handle: The sold handle.
            reason: Why; goes into the audit log.
        """

        async def work() -> Reply:
            await self.house.release_handle(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(
                content=f"{rendering.safe_handle(normalise(handle))} can be auctioned again."
            )

        await answer(interaction, work())

    @auctioneer.command(name="paid")
    async def paid(
        self,
        interaction: discord.Interaction[Any],
        handle: HandleText,
        reason: Reason | None = None,
    ) -> None:
        """Confirm a pledge sale's payment: the handle is then sold to its buyer (moderators).

        Args:
            handle: The sold handle whose payment arrived.
            reason: A note for the audit log (optional), e.g. how it was paid.
        """

        async def work() -> Reply:
            guild_id = guild_id_of(interaction)
            receipt = await self.house.settling.mark_paid(
                guild_id, actor_of(interaction), handle=handle, why=reason
            )
            currency = (await self.house.settings_for(guild_id)).currency
            return Reply(
                content=settlement_rendering.paid_reply(
                    receipt.handle, receipt.member_id, receipt.price, currency
                )
            )

        await answer(interaction, work())

    @auctioneer.command(name="unbar")
    async def unbar(
        self, interaction: discord.Interaction[Any], member: discord.User, reason: Reason
    ) -> None:
        """Let a member barred after unpaid wins bid again (moderators).

        Args:
            member: The barred member.
            reason: Why; goes into the audit log.
        """

        async def work() -> Reply:
            had = await self.house.settling.unbar(
                guild_id_of(interaction), actor_of(interaction), member.id, reason
            )
            return Reply(
                content=(
                    f"{rendering.mention(member.id)} can bid again (they had {had} unpaid "
                    f"win{'s' if had != 1 else ''}; their count starts again at 0)."
                )
            )

        await answer(interaction, work())

    @auctioneer.command(name="drop")
    async def drop(
        self,
        interaction: discord.Interaction[Any],
        start: app_commands.Range[str, 1, 40],
        count: app_commands.Range[int, 1, MAX_DROP_SIZE] | None = None,
        interval: app_commands.Range[str, 1, 20] | None = None,
        duration: app_commands.Range[str, 1, 20] | None = None,
        tag: app_commands.Range[str, 1, 24] | None = None,
        search: app_commands.Range[str, 1, 32] | None = None,
        handles: app_commands.Range[str, 1, 1500] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Schedule inventory handles to go up for auction one after another (moderators).

        Args:
            start: When the first starts: 18:00 (UTC), 2026-12-24 18:00, in 2h, or now.
            count: How many available handles, most valuable first.
            interval: Time between starts, e.g. 10m (default 10m; 0s starts all at once).
            duration: How long each auction runs (default 24h).
            tag: Only handles with this tag.
            search: Only handles containing this text.
            handles: Exactly these handles instead, separated by spaces or commas.
            channel: Where to post them (default: the auction channel, else here).
        """

        async def work() -> Reply:
            actor = actor_of(interaction)
            guild_id = guild_id_of(interaction)
            settings = await self.house.settings_for(guild_id)
            settings.access.require_moderator(actor)
            channel_id = _posting_channel(interaction, channel, settings.auction_channel_id)
            plan = await self.house.drops.create(
                guild_id, actor, start=start, count=count, interval=interval, duration=duration,
                tag=tag, search=search, handles=handles, channel_id=channel_id,
            )  # fmt: skip
            return Reply(content=stock_rendering.drop_plan_text(plan, settings.currency))

        await answer(interaction, work())

    @auctioneer.command(name="drops")
    async def drops(self, interaction: discord.Interaction[Any]) -> None:
        """The drops still to come (moderators)."""

        async def work() -> Reply:
            found = await self.house.drops.upcoming(guild_id_of(interaction), actor_of(interaction))
            return Reply(embed=stock_rendering.drops_embed(found))

        await answer(interaction, work())

    @auctioneer.command(name="drop-cancel")
    async def drop_cancel(
        self,
        interaction: discord.Interaction[Any],
        drop: app_commands.Range[int, 1, DISCORD_MAX_INTEGER],
        reason: Reason | None = None,
    ) -> None:
        """Cancel a drop: its auctions still to start go back to the inventory (moderators).

        Args:
            drop: The drop's number, as /auctioneer drops shows it.
            reason: Why (optional); goes into the audit log.
        """

        async def work() -> Reply:
            returned = await self.house.drops.cancel(
                guild_id_of(interaction), actor_of(interaction), drop, reason
            )
            return Reply(
                content=f"Drop #{drop} cancelled: {returned} handle(s) are back in the inventory."
            )

        await answer(interaction, work())

    @auctioneer.command(name="report")
    async def report(
        self,
        interaction: discord.Interaction[Any],
        period: Literal["7d", "30d", "90d", "all"] = "30d",
    ) -> None:
        """Revenue report: auctions closed and sold, revenue, prices, top sales (moderators).

        Args:
            period: The last 7, 30 or 90 days, or all time (default: 30 days).
        """

        async def work() -> Reply:
            found = await self.house.reports.report(
                guild_id_of(interaction), actor_of(interaction), period
            )
            # On a worker thread: the loop goes on answering others while the chart is drawn
            # (and ``answer`` defers if it takes long).
            chart = await report_chart.chart_png(found)
            return Reply(embed=report_embed(found), files=((CHART_FILE, chart),))

        await answer(interaction, work())

    @auctioneer.command(name="credit")
    async def credit(
        self,
        interaction: discord.Interaction[Any],
        member: discord.User,
        amount: Amount,
        reason: Reason,
    ) -> None:
        """Give a member credits for wallet-mode auctions (moderators; audited).

        Args:
            member: Whose wallet to credit.
            amount: How many credits.
            reason: Why; goes into the audit log and the member's history.
        """

        async def work() -> Reply:
            change = await self.house.credit(
                guild_id_of(interaction), actor_of(interaction), member.id, amount, reason,
                member_is_bot=member.bot,
            )  # fmt: skip
            return Reply(content=wallet_rendering.change_text(change))

        await answer(interaction, work())

    @auctioneer.command(name="debit")
    async def debit(
        self,
        interaction: discord.Interaction[Any],
        member: discord.User,
        amount: Amount,
        reason: Reason,
    ) -> None:
        """Take back a member's available credits, never what their bids hold (moderators; audited).

        Args:
            member: Whose wallet to debit.
            amount: How many credits.
            reason: Why; goes into the audit log and the member's history.
        """

        async def work() -> Reply:
            change = await self.house.debit(
                guild_id_of(interaction), actor_of(interaction), member.id, amount, reason,
                member_is_bot=member.bot,
            )  # fmt: skip
            return Reply(content=wallet_rendering.change_text(change))

        await answer(interaction, work())


def _posting_channel(
    interaction: discord.Interaction[Any],
    chosen: discord.TextChannel | None,
    configured: int | None,
) -> int | None:
    """Where auctions go: the chosen channel, else the server's auction channel, else here;
    refused up front if the bot cannot post there."""
    target = chosen or _default_channel(interaction, configured)
    if isinstance(target, discord.abc.GuildChannel):
        _check_can_post(target)
    return target.id if target is not None else interaction.channel_id


def _default_channel(
    interaction: discord.Interaction[Any], configured: int | None
) -> discord.abc.GuildChannel | None:
    """The server's auction channel (its settings keep only its own channels), else the
    channel the command was used in."""
    guild = interaction.guild
    found = guild.get_channel(configured) if guild is not None and configured else None
    if found is not None:
        return found
    here = interaction.channel
    return here if isinstance(here, discord.abc.GuildChannel) else None


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Auctioneer(bot))
