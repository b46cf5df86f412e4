"""Several real bot processes (``python -m bot``) on one PostgreSQL database.

- Shards 0 and 1 of 2 in two processes: auctions in a server of each; each closes once and
  each result, post and DM goes out once. Then one process is killed with SIGKILL: the
  auctions of its server still close (within the other's sweep) and are announced once, by
  the other; once it is back, nothing is announced twice.
- Two processes on the same shard (Discord allows two sessions on one): both receive every
  interaction, and each takes effect once: an extend moves the end once, a bid is stored once,
  each member gets one answer; under a burst of bids every acknowledged bid is stored and the
  auction's state is the replay of its bids.

The world: the default server on shard 0 of 2, and a second one on shard 1 of 2."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psycopg
import pytest

from bot.domain.auction import PlacedBid, replay
from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    EVERYONE_NAMED_ID,
    GUILD_ID,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    OWNER_ID,
    DiscordEmulator,
    InteractionHandle,
    default_world,
    guild_on_shard,
)
from bot.storage.postgres.store import PostgresStore
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    channel_texts,
    checked_emulator,
    info,
    is_closed_post,
    reply_text,
    respond,
    timestamp,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

SHARD1 = guild_on_shard(1, 2)
SHARD1_GENERAL = SHARD1.channels[1].id
BOTH = {
    "guild": f"{GUILD_ID}, {SHARD1.id}",
    "moderator_role": f"{MODERATOR_ROLE_ID}, {SHARD1.roles[0].id}",
    # A dead process's claimed messages go out again after this; its post editing likewise.
    "outbox": 'lease = "10s"',
}


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    async with checked_emulator([*default_world(), SHARD1]) as emu:
        yield emu


Launch = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
def launch(postgres_url: str, bots: Launch) -> Launch:
    """A bot process on this test's PostgreSQL database (set up first, so that it is dropped
    only once every bot has stopped)."""

    async def make(**config: Any) -> BotProcess:
        return await bots(environment={"DATABASE_URL": postgres_url}, **{**BOTH, **config})

    return make


async def start_in(
    emulator: DiscordEmulator, channel_id: int, handle: str, duration: str = "1h"
) -> str:
    options = {"handle": handle, "starting_bid": 100, "duration": duration}
    payload = emulator.slash(MODERATOR_ID, "auctioneer", options, "start", channel_id=channel_id)
    return await answered(emulator, payload)


async def bid_in(
    emulator: DiscordEmulator, channel_id: int, user_id: int, handle: str, amount: int
) -> str:
    payload = emulator.slash(
        user_id, "bid", {"handle": handle, "amount": amount}, channel_id=channel_id
    )
    return await answered(emulator, payload)


def closed_prefix(handle: str) -> str:
    return f"**Auction closed: @{handle}.**"


async def wait_until(moment: float) -> None:
    while time.time() < moment:
        await asyncio.sleep(0.1)


async def test_two_shard_processes_close_each_auction_once_even_when_one_is_killed(
    emulator: DiscordEmulator, launch: Launch
) -> None:
    zero = await launch(shard_count=2, shard_ids=[0], processes=2)
    one = await launch(shard_count=2, shard_ids=[1], processes=2)
    await emulator.wait_for(
        lambda: "logged in as" in zero.log() and "logged in as" in one.log(), 30
    )

    # An auction in each server, each answered by its own shard's process.
    ends = {}
    for channel, handle in ((AUCTIONS_CHANNEL_ID, "zeroname"), (SHARD1_GENERAL, "onename")):
        started = await start_in(emulator, channel, handle, duration="8s")
        ends[handle] = timestamp(started)
        assert "You lead" in await bid_in(emulator, channel, ALICE_ID, handle, 100)
    for handle, channel in (("zeroname", AUCTIONS_CHANNEL_ID), ("onename", SHARD1_GENERAL)):
        await emulator.wait_for(
            lambda h=handle, c=channel: channel_texts(emulator, closed_prefix(h), c), 40
        )
    await asyncio.sleep(3)  # time for any duplicate to show up
    assert len(channel_texts(emulator, closed_prefix("zeroname"))) == 1
    assert len(channel_texts(emulator, closed_prefix("onename"), SHARD1_GENERAL)) == 1
    assert len([m for m in emulator.dm_messages(ALICE_ID) if m.content.startswith("You won")]) == 2
    posts = [
        await auction_post(emulator, "@zeroname"),
        await auction_post(emulator, "@onename", SHARD1_GENERAL),
    ]
    assert all(
        len([m for m in emulator.channel_messages(p.channel_id) if m.id == p.id]) == 1
        for p in posts
    )

    # An auction in shard 0's server, then its process is killed before the end.
    started = await start_in(emulator, AUCTIONS_CHANNEL_ID, "orphan", duration="6s")
    end = timestamp(started)
    await bid_in(emulator, AUCTIONS_CHANNEL_ID, BOB_ID, "orphan", 100)
    await zero.kill()
    await wait_until(end)
    # Shard 1's process closes it within its sweep (30 s) and announces it, once.
    announced = await emulator.wait_for(
        lambda: channel_texts(emulator, closed_prefix("orphan")), 45
    )
    assert (
        announced[0].content
        == f"{closed_prefix('orphan')} Sold to <@{BOB_ID}> for **100 credits**."
    )
    assert time.time() - end <= 45
    assert "@orphan, sold at 100" in one.log()  # closed by the process still up
    orphan_post = await auction_post(emulator, "@orphan")
    await emulator.wait_for(lambda: is_closed_post(orphan_post), 45)  # the post editor moved
    await emulator.wait_for(
        lambda: [m for m in emulator.dm_messages(BOB_ID) if m.content.startswith("You won")], 30
    )

    # Back again: nothing is announced or sent twice.
    await zero.start()
    await emulator.wait_for(
        lambda: "logged in as" in zero.log().rsplit("starting shards", 1)[-1], 30
    )
    await start_in(emulator, AUCTIONS_CHANNEL_ID, "later")
    await auction_post(emulator, "@later")
    await asyncio.sleep(3)
    for handle, channel in (
        ("zeroname", AUCTIONS_CHANNEL_ID),
        ("onename", SHARD1_GENERAL),
        ("orphan", AUCTIONS_CHANNEL_ID),
    ):
        assert len(channel_texts(emulator, closed_prefix(handle), channel)) == 1, handle
    assert len([m for m in emulator.dm_messages(BOB_ID) if m.content.startswith("You won")]) == 1
    assert len([m for m in emulator.dm_messages(ALICE_ID) if m.content.startswith("You won")]) == 2


def one_answer(handle: InteractionHandle) -> None:
    """Answered once: one accepted callback (a second process's got 40060 or was never
    sent), and no follow-up from the other process."""
    assert handle.acknowledged
    assert len(handle.followups) <= 1  # a deferred answer's own follow-up at most
    assert reply_text(handle).strip()


async def test_two_processes_on_one_shard_apply_each_interaction_once(
    emulator: DiscordEmulator, launch: Launch, postgres_url: str
) -> None:
    first = await launch(processes=2)
    second = await launch(processes=2)
    await emulator.wait_for(
        lambda: "logged in as" in first.log() and "logged in as" in second.log(), 30
    )
    assert len(emulator.connected_shards) == 2  # two sessions, both shard 0 of 1

    await start_in(emulator, AUCTIONS_CHANNEL_ID, "twice", duration="1h")
    before = timestamp(await info(emulator, "twice"))
    extend = await respond(
        emulator,
        emulator.slash(
            MODERATOR_ID,
            "auctioneer",
            {"handle": "twice", "duration": "10m", "reason": "x"},
            "extend",
        ),
    )
    await emulator.wait_for(lambda: reply_text(extend).strip(), 20)
    one_answer(extend)
    after = timestamp(await info(emulator, "twice"))
    assert after - before == 600  # moved once, not twice

    placed = await respond(
        emulator, emulator.slash(ALICE_ID, "bid", {"handle": "twice", "amount": 100})
    )
    await emulator.wait_for(lambda: reply_text(placed).strip(), 20)
    one_answer(placed)
    assert "Bids: 1" in await info(emulator, "twice")

    # A burst on one auction, every interaction received by both processes.
    members = (ALICE_ID, BOB_ID, CAROL_ID, OWNER_ID, EVERYONE_NAMED_ID, MODERATOR_ID)
    payloads = [
        emulator.slash(
            members[n % len(members)], "bid", {"handle": "twice", "amount": 110 + 10 * n}
        )
        for n in range(60)
    ]
    handles = await asyncio.gather(*(emulator.send_interaction(p) for p in payloads))
    await emulator.wait_for(lambda: all(reply_text(h).strip() for h in handles), 60)
    for handle in handles:
        one_answer(handle)
    accepted = [
        h
        for h in handles
        if "You lead" in reply_text(h)
        or "was accepted" in reply_text(h)
        or "You still lead" in reply_text(h)
    ]

    store = await PostgresStore.open(postgres_url, pool_size=1)
    try:
        auction = await store.read(lambda uow: uow.auctions.find_open(GUILD_ID, "twice"))
        assert auction is not None
        stored = await store.read(lambda uow: uow.auctions.bids(auction.id))
    finally:
        await store.close()
    assert len(stored) == 1 + len(accepted)  # every acknowledged bid, once
    ordered = sorted(stored, key=lambda b: b.id)
    assert auction.standing == replay(
        auction.terms, [PlacedBid(b.bidder_id, b.amount, b.maximum) for b in ordered]
    )
    with psycopg.connect(postgres_url) as conn:
        extends = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'extend'").fetchone()
    assert extends == (1,)
