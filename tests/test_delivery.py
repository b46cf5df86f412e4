from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import ManualClock
from bot.config import OutboxSettings
from bot.delivery import OutboxDispatcher, PermanentDeliveryError
from bot.service import AuctionService
from bot.storage import outbox
from bot.storage.database import Database
from bot.storage.outbox import OutboxMessage
from tests.conftest import ALICE, BOB, GUILD, MOD
from tests.fakes import RecordingSender

SETTINGS = OutboxSettings(
    retry_base=timedelta(seconds=2), retry_max=timedelta(seconds=30), max_attempts=4
)


async def drain(dispatcher: OutboxDispatcher) -> int:
    total = 0
    while handled := await dispatcher.deliver_due():
        total += handled
    return total


async def test_messages_are_delivered_in_order_and_marked_once(
    service: AuctionService, db: Database, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.place_bid(GUILD, ALICE, "og", 5)
    await service.end_now(GUILD, MOD, "og")
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS)
    await drain(dispatcher)
    assert sender.kinds() == [
        "auction_opened", "moderator_action", "auction_closed", "winner_notice", "moderator_action",
    ]  # fmt: skip
    counts = await db.read(outbox.counts)
    assert (counts.pending, counts.delivered, counts.failed) == (0, 5, 0)
    assert await dispatcher.deliver_due() == 0


async def test_failures_are_retried_with_backoff(
    service: AuctionService, db: Database, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    sender = RecordingSender()
    sender.failures = [ConnectionError("discord is down"), ConnectionError("still down")]
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS)
    # The opening post fails; the auction's other message waits for it.
    assert await dispatcher.deliver_due() == 1
    assert sender.delivered == []
    assert await dispatcher.deliver_due() == 0  # not due yet
    clock.advance(timedelta(seconds=2))
    await dispatcher.deliver_due()  # second failure: next try in 4 s
    clock.advance(timedelta(seconds=3))
    assert await dispatcher.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    await drain(dispatcher)
    assert sender.kinds() == ["auction_opened", "moderator_action"]
    attempts = await db.read(
        lambda c: c.execute("SELECT attempts FROM outbox ORDER BY id").fetchall()
    )
    assert attempts == [(3,), (1,)]


class FailingDMs(RecordingSender):
    async def deliver(self, message: OutboxMessage) -> None:
        if message.kind == "outbid":
            raise ConnectionError("DMs are down")
        await super().deliver(message)


async def test_a_failing_dm_does_not_hold_up_the_result(
    service: AuctionService, db: Database, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.place_bid(GUILD, ALICE, "og", 5)
    await service.place_bid(GUILD, BOB, "og", 50)  # Alice's outbid DM will keep failing
    await service.end_now(GUILD, MOD, "og")
    sender = FailingDMs()
    await drain(OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS))
    assert "auction_closed" in sender.kinds()
    assert "winner_notice" in sender.kinds()


async def test_permanent_failures_and_exhausted_retries_give_up(
    service: AuctionService, db: Database, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    sender = RecordingSender()
    sender.failures = [PermanentDeliveryError("channel deleted")] + [ConnectionError("down")] * 4
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS)
    for _ in range(6):
        await dispatcher.deliver_due()
        clock.advance(timedelta(seconds=30))
    counts = await db.read(outbox.counts)
    assert (counts.pending, counts.delivered, counts.failed) == (0, 0, 2)
    errors = await db.read(
        lambda c: [r[0] for r in c.execute("SELECT last_error FROM outbox ORDER BY id")]
    )
    assert "channel deleted" in errors[0]
    assert "down" in errors[1]


async def test_running_dispatcher_wakes_on_new_messages(
    service: AuctionService, db: Database, clock: ManualClock
) -> None:
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS)
    service.on_outbox(dispatcher.wake)
    dispatcher.start()
    try:
        await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
        async with asyncio.timeout(30):
            while len(sender.delivered) < 2:
                await asyncio.sleep(0.01)
    finally:
        await dispatcher.stop()
    assert sender.kinds() == ["auction_opened", "moderator_action"]
