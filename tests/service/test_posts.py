"""Where an auction's post is: a post that can no longer be shown is reported once, to the
server's audit channel, and a new post clears the mark."""

from __future__ import annotations

import json

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core
from bot.domain.events import Event, PostLost
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import GUILD, MOD

WHY = "its channel was deleted"


async def notices(db: SqliteStore) -> list[tuple[object, ...]]:
    return await db.on_connection(
        lambda c: c.execute(
            "SELECT guild_id, auction_id, payload FROM outbox WHERE kind = 'house_notice'"
            " ORDER BY id"
        ).fetchall()
    )


async def test_a_lost_post_is_recorded_and_reported_once(
    service: AuctionHouse, db: SqliteStore
) -> None:
    view = await service.start_auction(GUILD, MOD, "OGName", starting_bid=1, duration="1h")
    await service.record_post(view.id, 500, 600)
    assert not (await service.get_by_id(view.id)).post_lost
    assert await notices(db) == []

    assert await service.record_post_lost(view.id, WHY) is True
    assert await service.record_post_lost(view.id, WHY) is False
    assert await service.record_post_lost(view.id, "something else") is False

    found = await notices(db)
    assert len(found) == 1
    guild_id, auction_id, payload = found[0]
    assert guild_id == GUILD
    assert auction_id is None  # not held behind the auction's own messages
    text = json.loads(str(payload))["text"]
    assert "@OGName" in text
    assert WHY in text
    assert (await service.get_by_id(view.id)).post_lost
    assert (await service.get_auction(GUILD, "ogname")).post_lost


async def test_a_new_post_clears_the_mark(service: AuctionHouse, db: SqliteStore) -> None:
    view = await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    assert await service.record_post_lost(view.id, WHY)
    await service.record_post(view.id, 501, 601)
    after = await service.get_by_id(view.id)
    assert not after.post_lost
    assert (after.channel_id, after.message_id) == (501, 601)
    # Lost again later: reported again, once.
    assert await service.record_post_lost(view.id, WHY) is True
    assert await service.record_post_lost(view.id, WHY) is False
    assert len(await notices(db)) == 2


async def test_only_that_auction_is_marked(service: AuctionHouse) -> None:
    lost = await service.start_auction(GUILD, MOD, "one", starting_bid=1, duration="1h")
    kept = await service.start_auction(GUILD, MOD, "two", starting_bid=1, duration="1h")
    assert await service.record_post_lost(lost.id, WHY)
    assert (await service.get_by_id(lost.id)).post_lost
    assert not (await service.get_by_id(kept.id)).post_lost
    assert await service.record_post_lost(kept.id, WHY)  # its own first time


async def test_the_loss_is_published_once(core: Core) -> None:
    seen: list[Event] = []
    core.bus.subscribe(PostLost, seen.append)
    view = await core.house.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await core.house.record_post_lost(view.id, WHY)
    await core.house.record_post_lost(view.id, WHY)
    assert seen == [PostLost(view.id)]
