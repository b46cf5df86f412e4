"""Delivery to Discord, built by the bot at start-up: the post editor, the outbox's sender
and its dispatcher, and the events each of them reacts to."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.bootstrap import Core
from bot.delivery.dispatcher import DeliverySettings, OutboxDispatcher
from bot.delivery.pacing import RequestPace
from bot.delivery.pruning import HistoryPruner
from bot.domain.events import (
    AuctionClosed,
    AuctionExtended,
    BidAccepted,
    BidsVoided,
    MessageQueued,
    PostPublished,
)
from bot.interface.post_editor import PostEditor
from bot.interface.sender import DiscordSender


@dataclass(frozen=True, slots=True)
class Delivery:
    posts: PostEditor
    sender: DiscordSender
    dispatcher: OutboxDispatcher
    pruner: HistoryPruner

    async def start(self) -> None:
        await self.sender.start()
        self.dispatcher.start()
        self.pruner.start()

    async def stop(self) -> None:
        await self.pruner.stop()
        await self.dispatcher.stop()
        await self.posts.stop()


def build_delivery(
    bot: discord.Client,
    core: Core,
    *,
    settings: DeliverySettings,
    post_edit_interval: float,
    requests_per_second: int,
) -> Delivery:
    # One pace for both: together they stay under Discord's global limit.
    pace = RequestPace(requests_per_second)
    posts = PostEditor(bot, core.house, post_edit_interval, pace=pace)
    sender = DiscordSender(bot, core.house, core.memory)
    dispatcher = OutboxDispatcher(
        core.store, sender, clock=core.clock, settings=settings, pace=pace
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
    return Delivery(posts=posts, sender=sender, dispatcher=dispatcher, pruner=pruner)
