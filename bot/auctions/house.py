"""``AuctionHouse``: the one object the Discord layer holds. Each method is one line that
hands over to the use case that owns it."""

from __future__ import annotations

from datetime import timedelta

from bot.auctions.bidding import Bidding
from bot.auctions.closing import Closing
from bot.auctions.drops import Drops
from bot.auctions.members import MemberSettings
from bot.auctions.moderation import Moderation
from bot.auctions.posts import PostRecords
from bot.auctions.queries import Queries
from bot.auctions.read_models import (
    BidReceipt,
    OpenPage,
    PublicAuction,
    PublicBid,
    VoidReceipt,
)
from bot.auctions.report import Reports
from bot.auctions.server_settings import (
    ChannelKind,
    RoleList,
    ServerSettingsAdmin,
    SettingChange,
    SettingLine,
    SettingsBook,
)
from bot.auctions.settlement import Settling
from bot.auctions.starts import Starter
from bot.auctions.stock import Stock
from bot.auctions.wallet import HistoryPage, WalletChange, Wallets, WalletView
from bot.domain.access import Actor
from bot.domain.settings import ServerSettings


class AuctionHouse:
    def __init__(
        self,
        *,
        moderation: Moderation,
        bidding: Bidding,
        closing: Closing,
        queries: Queries,
        members: MemberSettings,
        posts: PostRecords,
        settings: SettingsBook,
        admin: ServerSettingsAdmin,
        stock: Stock,
        drops: Drops,
        starter: Starter,
        settling: Settling,
        reports: Reports,
        wallets: Wallets,
    ) -> None:
        self.moderation = moderation
        self.bidding = bidding
        self.closing = closing
        self.queries = queries
        self.members = members
        self.posts = posts
        self.settings = settings
        self.admin = admin
        # The handle house: the inventory, drops and the scheduled starts they make.
        self.stock = stock
        self.drops = drops
        self.starter = starter
        # Pledge mode's settlements: payments, second-chance offers, bars.
        self.settling = settling
        # The seller's revenue report (moderators, and the shell).
        self.reports = reports
        self.wallets = wallets  # wallet mode's credits

    # -- moderators
    async def start_auction(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        *,
        starting_bid: int | None,
        duration: timedelta | str,
        reserve: int | None = None,
        buy_now: int | None = None,
        increment: str | None = None,
        channel_id: int | None = None,
        override: bool = False,
        reason: str | None = None,
    ) -> PublicAuction:
        return await self.moderation.start(guild_id, actor, handle, starting_bid=starting_bid, duration=duration, reserve=reserve, buy_now=buy_now, increment=increment, channel_id=channel_id, override=override, why=reason)  # fmt: skip

    async def cancel(self, guild_id: int, actor: Actor, handle: str, reason: str) -> PublicAuction:
        return await self.moderation.cancel(guild_id, actor, handle, reason)

    async def end_now(
        self, guild_id: int, actor: Actor, handle: str, reason: str | None = None
    ) -> PublicAuction:
        return await self.moderation.end_now(guild_id, actor, handle, reason)

    async def extend(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        by: timedelta | str,
        reason: str | None = None,
    ) -> PublicAuction:
        return await self.moderation.extend(guild_id, actor, handle, by, reason)

    async def void_bids(
        self,
        guild_id: int,
        actor: Actor,
        handle: str,
        bidder_id: int,
        reason: str,
        *,
        bid_id: int | None = None,
    ) -> VoidReceipt:
        return await self.moderation.void_bids(guild_id, actor, handle, bidder_id, reason, bid_id=bid_id)  # fmt: skip

    async def release_handle(self, guild_id: int, actor: Actor, handle: str, reason: str) -> None:
        return await self.moderation.release_handle(guild_id, actor, handle, reason)

    # -- members
    async def bid_on_handle(
        self, guild_id: int, actor: Actor, handle: str, amount: int, maximum: int | None = None
    ) -> BidReceipt:
        return await self.bidding.bid_on_handle(guild_id, actor, handle, amount, maximum)

    async def bid_on_auction(
        self, guild_id: int, actor: Actor, auction_id: int, amount: int, maximum: int | None = None
    ) -> BidReceipt:
        return await self.bidding.bid_on_auction(guild_id, actor, auction_id, amount, maximum)

    async def set_outbid_dms(self, guild_id: int, actor: Actor, enabled: bool) -> None:
        return await self.members.set_outbid_dms(guild_id, actor, enabled)

    async def wants_outbid_dms(self, guild_id: int, user_id: int) -> bool:
        return await self.members.wants_outbid_dms(guild_id, user_id)

    # -- wallets
    async def wallet(self, guild_id: int, member_id: int) -> WalletView:
        return await self.wallets.view(guild_id, member_id)

    async def wallet_history(self, guild_id: int, member_id: int, page: int = 0) -> HistoryPage:
        return await self.wallets.history(guild_id, member_id, page)

    async def credit(
        self, guild_id: int, actor: Actor, member_id: int, amount: int, reason: str,
        *, member_is_bot: bool = False,
    ) -> WalletChange:  # fmt: skip
        return await self.wallets.credit(guild_id, actor, member_id, amount, reason, member_is_bot=member_is_bot)  # fmt: skip

    async def debit(
        self, guild_id: int, actor: Actor, member_id: int, amount: int, reason: str,
        *, member_is_bot: bool = False,
    ) -> WalletChange:  # fmt: skip
        return await self.wallets.debit(guild_id, actor, member_id, amount, reason, member_is_bot=member_is_bot)  # fmt: skip

    # -- closing
    async def close_if_due(self, auction_id: int) -> PublicAuction | None:
        return await self.closing.close_if_due(auction_id)

    async def resume(self) -> int:
        """Closes what ended while the bot was down, then starts what fell due."""
        closed = await self.closing.resume()
        await self.starter.resume()
        await self.settling.resume()
        return closed

    # -- reads
    async def get_auction(
        self, guild_id: int, handle: str, viewer_id: int | None = None
    ) -> PublicAuction:
        return await self.queries.get_auction(guild_id, handle, viewer_id)

    async def get_by_id(
        self, auction_id: int, viewer_id: int | None = None, *, guild_id: int | None = None
    ) -> PublicAuction:
        return await self.queries.get_by_id(auction_id, viewer_id, guild_id=guild_id)

    async def list_open(self, guild_id: int, viewer_id: int | None = None) -> list[PublicAuction]:
        return await self.queries.list_open(guild_id, viewer_id)

    async def open_page(
        self, guild_id: int, page: int, page_size: int, viewer_id: int | None = None
    ) -> OpenPage:
        return await self.queries.open_page(guild_id, page, page_size, viewer_id)

    async def open_matching(self, guild_id: int, typed: str, limit: int) -> list[PublicAuction]:
        return await self.queries.open_matching(guild_id, typed, limit)

    async def bid_history(
        self,
        guild_id: int,
        handle: str | None = None,
        *,
        auction_id: int | None = None,
        limit: int = 10,
    ) -> list[PublicBid]:
        return await self.queries.bid_history(guild_id, handle, auction_id=auction_id, limit=limit)

    # -- posts
    async def record_post(self, auction_id: int, channel_id: int, message_id: int) -> None:
        return await self.posts.record_post(auction_id, channel_id, message_id)

    async def record_post_lost(self, auction_id: int, why: str) -> bool:
        return await self.posts.record_post_lost(auction_id, why)

    async def record_post_current(self, auction_id: int, revision: int) -> None:
        return await self.posts.record_post_current(auction_id, revision)

    async def posts_behind(self) -> list[int]:
        return await self.posts.posts_behind()

    # -- server settings
    async def settings_for(self, guild_id: int) -> ServerSettings:
        return await self.settings.for_guild(guild_id)

    async def show_settings(self, guild_id: int, actor: Actor) -> list[SettingLine]:
        return await self.admin.show(guild_id, actor)

    async def set_setting(self, guild_id: int, actor: Actor, key: str, value: str) -> SettingChange:
        return await self.admin.set(guild_id, actor, key, value)

    async def reset_setting(self, guild_id: int, actor: Actor, key: str) -> SettingChange:
        return await self.admin.reset(guild_id, actor, key)

    async def set_channel(
        self, guild_id: int, actor: Actor, which: ChannelKind, channel_id: int | None
    ) -> SettingChange:
        return await self.admin.set_channel(guild_id, actor, which, channel_id)

    async def change_roles(
        self, guild_id: int, actor: Actor, which: RoleList, role_id: int, *, add: bool
    ) -> SettingChange:
        return await self.admin.change_roles(guild_id, actor, which, role_id, add=add)

    async def change_tiers(
        self, guild_id: int, actor: Actor, amount: int, role_id: int | None, *, add: bool
    ) -> SettingChange:
        return await self.admin.change_tiers(guild_id, actor, amount, role_id, add=add)

    async def change_reserved(
        self, guild_id: int, actor: Actor, handle: str, *, add: bool, brands: bool = False
    ) -> SettingChange:
        return await self.admin.change_reserved(guild_id, actor, handle, add=add, brands=brands)
