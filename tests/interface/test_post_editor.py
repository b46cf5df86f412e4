"""One post editor at a time: the holder of the "post-editor" lease edits, the others leave
posts to it, and one of them takes over (and catches up) once the holder's lease ran out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import discord
import pytest

from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.delivery.leases import LeaseKeeper
from bot.interface.post_editor import LEASE, LEASE_NAME, PostEditor
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import ALICE, BOB, GUILD, MOD

CHANNEL, MESSAGE = 5, 50


@dataclass
class FakeBot:
    """The bits of ``discord.Client`` the editor uses: it records each post edit."""

    edits: list[int] = field(default_factory=list)

    def get_partial_messageable(self, channel_id: int) -> FakeChannel:
        return FakeChannel(self, channel_id)


@dataclass
class FakeChannel:
    bot: FakeBot
    id: int

    def get_partial_message(self, message_id: int) -> FakeMessage:
        return FakeMessage(self.bot, message_id)


@dataclass
class FakeMessage:
    bot: FakeBot
    id: int

    async def edit(self, **_: Any) -> None:
        self.bot.edits.append(self.id)


@dataclass
class Process:
    bot: FakeBot
    lease: LeaseKeeper
    editor: PostEditor


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.fixture
async def processes(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> AsyncIterator[list[Process]]:
    made = []
    for name in ("host:1", "host:2"):
        bot = FakeBot()
        lease = LeaseKeeper(db, clock, name=LEASE_NAME, holder=name, lease=LEASE)
        editor = PostEditor(cast(discord.Client, bot), service, 0.0, lease=lease)
        lease.on_gained(editor.refresh_posts_behind)
        made.append(Process(bot, lease, editor))
    yield made
    for process in made:
        await process.editor.stop()


async def _posted_auction(service: AuctionHouse) -> int:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.record_post(view.id, CHANNEL, MESSAGE)
    posted = await service.get_by_id(view.id)
    await service.record_post_current(view.id, posted.revision)  # posted as it is: not behind
    assert await service.posts_behind() == []
    return view.id


async def test_only_the_lease_holder_edits_and_another_takes_over_once_it_ran_out(
    service: AuctionHouse, clock: ManualClock, processes: list[Process]
) -> None:
    holder, waiting = processes
    auction_id = await _posted_auction(service)
    assert await holder.lease.renew()
    assert not await waiting.lease.renew()

    await service.bid_on_handle(GUILD, ALICE, "og", 5)  # taken by the waiting process
    waiting.editor.changed(auction_id)
    assert not waiting.editor.editing
    assert await waiting.editor.refresh_posts_behind() == 0
    holder.editor.changed(auction_id)  # as the holder's look at posts behind would
    await until(lambda: holder.bot.edits == [MESSAGE])
    await until(lambda: not holder.editor._workers)
    assert waiting.bot.edits == []

    # The holder dies without letting go; a bid leaves the post behind.
    await service.bid_on_handle(GUILD, BOB, "og", 50)
    waiting.editor.changed(auction_id)
    clock.advance(LEASE - timedelta(seconds=1))
    assert not await waiting.lease.renew()  # not yet run out
    assert waiting.bot.edits == []
    clock.advance(timedelta(seconds=1))
    assert await waiting.lease.renew()  # taken over: it catches up on the posts behind
    await until(lambda: waiting.bot.edits == [MESSAGE])
    await until(lambda: not waiting.editor._workers)
    assert await service.posts_behind() == []
    # The old holder, back, finds its lease gone and leaves the posts alone.
    assert not await holder.lease.renew()
    holder.editor.changed(auction_id)
    assert not holder.editor.editing
    assert holder.bot.edits == [MESSAGE]


async def test_a_clean_stop_hands_the_lease_over_at_once(
    service: AuctionHouse, processes: list[Process]
) -> None:
    holder, waiting = processes
    auction_id = await _posted_auction(service)
    assert await holder.lease.renew()
    assert not await waiting.lease.renew()
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    await holder.editor.stop()
    await holder.lease.stop()
    assert await waiting.lease.renew()  # no wait for the lease to run out
    await until(lambda: waiting.bot.edits == [MESSAGE])
    await until(lambda: not waiting.editor._workers)
    assert await service.posts_behind() == []
    assert holder.bot.edits == []
    waiting.editor.changed(auction_id)
    assert auction_id in waiting.editor._workers  # the new holder edits what changes


async def test_a_lone_process_takes_the_lease_from_a_run_that_crashed(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    crashed = LeaseKeeper(db, clock, name=LEASE_NAME, holder="host:1", lease=LEASE)
    assert await crashed.renew()
    restarted = LeaseKeeper(db, clock, name=LEASE_NAME, holder="host:2", lease=LEASE, alone=True)
    editor = PostEditor(cast(discord.Client, FakeBot()), service, 0.0, lease=restarted)
    assert await restarted.renew()  # as today: the one process edits from its start
    assert editor.editing
    assert not await crashed.renew()
