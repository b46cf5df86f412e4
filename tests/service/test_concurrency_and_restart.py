"""The store under load and across restarts, on a real SQLite file."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from bot.auctions.house import AuctionHouse
from bot.auctions.read_models import BidReceipt
from bot.clock import ManualClock
from bot.delivery.dispatcher import DeliverySettings, OutboxDispatcher
from bot.domain.access import Actor
from bot.domain.auction import PlacedBid, Terms, replay
from bot.domain.errors import BidRefused
from bot.storage.factory import open_url
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import GUILD, MOD, make_service
from tests.fakes import RecordingSender, RecordingTimer


async def test_hundreds_of_concurrent_bids_end_consistent(
    service: AuctionHouse, db: SqliteStore
) -> None:
    view = await service.start_auction(GUILD, MOD, "hot", starting_bid=100, duration="1h")
    rng = random.Random(7)
    attempts = []
    for n in range(300):
        # Rising amounts with jitter: many beat the price when committed, many do not.
        amount = int(100 * 1.06 ** max(n + rng.uniform(-4, 4), 0))
        attempts.append(
            (Actor(user_id=1000 + n % 25), amount, amount + rng.choice([0, 0, 100, 5000]))
        )
    # All 300 are in flight at once, so they are committed in a few shared transactions.
    results = await asyncio.gather(
        *(
            service.bid_on_handle(GUILD, actor, "hot", amount, maximum)
            for actor, amount, maximum in attempts
        ),
        return_exceptions=True,
    )
    receipts = [r for r in results if isinstance(r, BidReceipt)]
    refusals = [r for r in results if isinstance(r, BidRefused)]
    assert len(receipts) + len(refusals) == len(attempts)  # nothing failed for another reason
    assert len(receipts) >= 10
    assert len(refusals) >= 10

    stored = await db.read(lambda uow: uow.auctions.bids(view.id))
    final = await db.read(lambda uow: uow.auctions.get(view.id))
    # No acknowledged bid is lost, and nothing unacknowledged was stored.
    assert sorted(r.bid_id for r in receipts) == [b.id for b in stored]
    assert final.standing.bid_count == len(stored)
    # The price never went down, and one leader at a time holds it.
    prices = [b.price_after for b in stored]
    assert prices == sorted(prices)
    assert final.standing.price == prices[-1]
    assert final.standing.leader_id == stored[-1].leader_after
    # The stored state is exactly the replay of the accepted bids.
    terms: Terms = final.terms
    assert (
        replay(terms, [PlacedBid(b.bidder_id, b.amount, b.maximum) for b in stored])
        == final.standing
    )


async def test_restart_closes_the_overdue_auction_once_and_delivers_once(db_url: str) -> None:
    clock = ManualClock()
    settings = DeliverySettings(retry_base=timedelta(seconds=1))

    # First run: an auction gets bids, then the bot stops before it ends.
    db = await open_url(db_url)
    service = make_service(db, clock, RecordingTimer())
    view = await service.start_auction(GUILD, MOD, "ogname", starting_bid=100, duration="10m")
    await service.bid_on_handle(GUILD, Actor(user_id=10), "ogname", 150)
    await db.close()

    # Down for an hour. Second run on the same file.
    clock.advance(timedelta(hours=1))
    db = await open_url(db_url)
    reminders = RecordingTimer()
    service = make_service(db, clock, reminders)
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=settings, name="this-process")
    assert await service.resume() == 1
    assert await service.close_if_due(view.id) is None  # a late duplicate trigger: no effect
    while await dispatcher.deliver_due():
        pass
    closed = [m for m in sender.delivered if m.kind == "auction_closed"]
    assert len(closed) == 1
    # The message carries no copy of the result: the closed auction is its one source.
    assert (await service.get_by_id(view.id)).winner_id == 10
    assert sender.kinds().count("winner_notice") == 1
    await db.close()

    # Third run: nothing is closed or delivered again.
    db = await open_url(db_url)
    service = make_service(db, clock, RecordingTimer())
    again = RecordingSender()
    assert await service.resume() == 0
    assert (
        await OutboxDispatcher(
            db, again, clock=clock, settings=settings, name="this-process"
        ).deliver_due()
        == 0
    )
    assert again.delivered == []
    await db.close()


async def test_a_crash_between_close_and_delivery_delivers_after_restart(db_url: str) -> None:
    clock = ManualClock()
    db = await open_url(db_url)
    service = make_service(db, clock, RecordingTimer())
    view = await service.start_auction(GUILD, MOD, "ogname", starting_bid=100, duration="10m")
    clock.advance(timedelta(minutes=11))
    assert await service.close_if_due(view.id) is not None
    await db.close()  # "killed" before the dispatcher ran

    db = await open_url(db_url)
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(
        db, sender, clock=clock, settings=DeliverySettings(), name="this-process"
    )
    while await dispatcher.deliver_due():
        pass
    assert "auction_closed" in sender.kinds()
    await db.close()
