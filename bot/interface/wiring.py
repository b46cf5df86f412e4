"""Delivery to Discord, built by the bot at start-up: the post editor, the outbox's sender
and its dispatcher, and the events each of them reacts to."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord

from bot.bootstrap import Core
from bot.delivery.dispatcher import DeliverySettings, OutboxDispatcher
from bot.delivery.leases import LeaseKeeper
from bot.delivery.pacing import RequestPace, request_share
from bot.delivery.pruning import HistoryPruner
from bot.domain.events import (
    AuctionClosed,
    AuctionExtended,
    BidAccepted,
    BidsVoided,
    MessageQueued,
    PostPublished,
)
from bot.interface.post_editor import LEASE, LEASE_NAME, PostEditor
from bot.interface.sender import DiscordSender

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    posts: PostEditor
    editor_lease: LeaseKeeper
    sender: DiscordSender
    dispatcher: OutboxDispatcher
    pruner: HistoryPruner

    async def start(self) -> None:
        await self.editor_lease.start()
        await self.sender.start()
        self.dispatcher.start()
        self.pruner.start()

    async def stop(self) -> None:
        await self.pruner.stop()
        await self.dispatcher.stop()
        await self.posts.stop()
        await self.editor_lease.stop()  # after the last edit: the next holder starts clean


def build_delivery(
    bot: discord.Client,
    core: Core,
    *,
    settings: DeliverySettings,
    post_edit_interval: float,
    requests_per_second: int,
    processes: int,
    process: str,
) -> Delivery:
    """``requests_per_second`` is the whole bot's; ``processes`` share it (and the token),
    ``process`` is this one's name in the database's claims and leases."""
    # One pace for both: together they stay under this process's share of the global limit.
    share = request_share(requests_per_second, processes)
    log.info(
        "process %s: %d request(s)/s to Discord, its share of %d/s over %d process(es)",
        process, share, requests_per_second, processes,
    )  # fmt: skip
    pace = RequestPace(share)
    editor_lease = LeaseKeeper(
        core.store, core.clock, name=LEASE_NAME, holder=process, lease=LEASE,
        alone=processes == 1,
    )  # fmt: skip
    posts = PostEditor(bot, core.house, post_edit_interval, pace=pace, lease=editor_lease)
    editor_lease.on_gained(posts.refresh_posts_behind)
    if processes > 1:
        # Bids other processes took are shown by whoever holds the lease, from the database.
        editor_lease.on_held(posts.refresh_posts_behind)
    sender = DiscordSender(bot, core.house, core.memory)
    dispatcher = OutboxDispatcher(
        core.store,
        sender,
        clock=core.clock,
        settings=settings,
        name=process,
        alone=processes == 1,
        pace=pace,
    )
    bus = core.bus
    bus.subscribe(MessageQueued, dispatcher.wake)
    # Each change a member can see on the post brings it up to date (coalesced).
    bus.subscribe(BidAccepted, lambda e: posts.changed(e.auction_id))
    bus.subscribe(AuctionExtended, lambda e: posts.changed(e.auction_id))
    bus.subscribe(BidsVoided, lambda e: posts.changed(e.auction_id))
    bus.subscribe(AuctionClosed, lambda e: posts.changed(e.auction_id))
    # Bids that came in while the post was on its way are shown by the next edit.
    bus.subscribe(PostPublished, lambda e: posts.changed(e.auction_id))
    pruner = HistoryPruner(core.store, core.clock, settings.keep_delivered)
    return Delivery(
        posts=posts, editor_lease=editor_lease, sender=sender, dispatcher=dispatcher,
        pruner=pruner,
    )  # fmt: skip
