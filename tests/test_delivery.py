from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core
from bot.clock import ManualClock
from bot.delivery.dispatcher import DeliverySettings, OutboxDispatcher, lane_of
from bot.delivery.failures import DeliveryFailed, Failure
from bot.delivery.pacing import RequestPace
from bot.domain.events import MessageQueued
from bot.domain.messages import OutboxCounts, OutboxMessage
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import ALICE, BOB, GUILD, MOD
from tests.fakes import RecordingSender

SETTINGS = DeliverySettings(
    retry_base=timedelta(seconds=2),
    retry_max=timedelta(seconds=30),
    give_up_after=timedelta(hours=24),
)


async def drain(dispatcher: OutboxDispatcher) -> int:
    total = 0
    while handled := await dispatcher.deliver_due():
        total += handled
    return total


async def counts(db: SqliteStore) -> OutboxCounts:
    return await db.read(lambda uow: uow.outbox.counts())


async def test_messages_are_delivered_in_order_and_marked_once(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    await service.end_now(GUILD, MOD, "og")
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
    await drain(dispatcher)
    assert sender.kinds()[0] == "auction_opened"  # the post before anything about it
    by_lane: dict[object, list[str]] = {}
    for message in sender.delivered:
        by_lane.setdefault(lane_of(message), []).append(message.kind.value)
    assert by_lane == {
        ("auction", 1): ["auction_opened", "auction_closed", "winner_notice"],
        ("audit", GUILD): ["moderator_action", "moderator_action"],
    }
    ids = [m.id for m in sender.delivered]
    assert len(ids) == len(set(ids)) == 5
    found = await counts(db)
    assert (found.pending, found.delivered, found.failed) == (0, 5, 0)
    assert await dispatcher.deliver_due() == 0


async def test_failures_are_retried_with_backoff(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    sender = RecordingSender()
    sender.failures = [ConnectionError("discord is down"), ConnectionError("still down")]
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
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
    attempts = await db.on_connection(
        lambda c: c.execute("SELECT attempts FROM outbox ORDER BY id").fetchall()
    )
    assert attempts == [(3,), (1,)]


class FailingDMs(RecordingSender):
    async def dm_outbid(self, message: OutboxMessage) -> None:
        raise ConnectionError("DMs are down")


async def test_a_failing_dm_does_not_hold_up_the_result(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    await service.bid_on_handle(GUILD, BOB, "og", 50)  # Alice's outbid DM will keep failing
    await service.end_now(GUILD, MOD, "og")
    sender = FailingDMs()
    await drain(OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process"))
    assert "auction_closed" in sender.kinds()
    assert "winner_notice" in sender.kinds()


async def test_permanent_failures_give_up_at_once(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    sender = RecordingSender()
    sender.failures = [DeliveryFailed(Failure.GONE, "404 10003: Unknown Channel")]
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
    await drain(dispatcher)
    found = await counts(db)
    assert (found.pending, found.delivered, found.failed) == (0, 1, 1)
    errors = await db.on_connection(
        lambda c: [r[0] for r in c.execute("SELECT last_error FROM outbox ORDER BY id")]
    )
    assert "Unknown Channel" in errors[0]
    assert sender.kinds() == ["moderator_action"]


async def test_an_outage_never_fails_a_message_before_give_up_after(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    """Thirty-seven minutes of errors used to fail a message for good; now a day of them
    (the configured give_up_after) is retried, and only then reported to the audit channel."""
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    sender = RecordingSender()
    sender.failures = [DeliveryFailed(Failure.RETRY, "503: unavailable")] * 10_000
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
    start = clock.now()
    while clock.now() - start < timedelta(hours=23, minutes=59):
        await dispatcher.deliver_due()
        clock.advance(timedelta(seconds=30))
        found = await counts(db)
        assert found.failed == 0
    assert found.pending == 2
    clock.advance(timedelta(minutes=2))
    sender.failures = [DeliveryFailed(Failure.RETRY, "503: unavailable")]  # the last try fails too
    await dispatcher.deliver_due()
    found = await counts(db)
    assert found.failed == 1
    await drain(dispatcher)
    # The audit copy, and one notice saying a message was given up.
    assert sender.kinds() == ["moderator_action", "house_notice"]
    notice = sender.delivered[-1]
    assert "could not be delivered for 1d" in notice.payload["text"]


async def test_running_dispatcher_wakes_on_new_messages(
    core: Core, db: SqliteStore, clock: ManualClock
) -> None:
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
    core.bus.subscribe(MessageQueued, dispatcher.wake)
    dispatcher.start()
    try:
        await core.house.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
        # Far below the dispatcher's 30 s poll: only the wake-up can deliver in time.
        async with asyncio.timeout(20):
            while len(sender.delivered) < 2:
                await asyncio.sleep(0.01)
    finally:
        await dispatcher.stop()
    assert sender.kinds() == ["auction_opened", "moderator_action"]


async def test_dispatcher_sleeps_while_an_opening_post_waits_to_retry(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    retry_at = clock.now() + timedelta(minutes=1)

    def post_fails(uow: UnitOfWork) -> bool:
        uow.outbox.claim(by="this-process", now=clock.now(), lease=timedelta(minutes=1), limit=1)
        return uow.outbox.mark_retry(1, error="down", retry_at=retry_at, by="this-process")

    assert await db.write(post_fails)
    # The audit copy is due now but held behind the post, so the next wake-up is the retry.
    assert await db.read(lambda uow: uow.outbox.next_due_at()) == retry_at


class GatedSender(RecordingSender):
    """Holds every DM to one member until released; everything else goes through."""

    def __init__(self, held_user: int) -> None:
        super().__init__()
        self.held_user = held_user
        self.release = asyncio.Event()
        self.started: list[int] = []

    async def dm_outbid(self, message: OutboxMessage) -> None:  # type: ignore[override]
        self.started.append(message.id)
        if message.payload.get("user_id") == self.held_user:
            await self.release.wait()
        await super()._deliver(message)


async def test_a_slow_lane_does_not_hold_up_the_others_and_each_lane_keeps_its_order(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.start_auction(GUILD, MOD, "two", starting_bid=1, duration="1h")
    plain = RecordingSender()
    first = OutboxDispatcher(db, plain, clock=clock, settings=SETTINGS, name="this-process")
    await drain(first)  # the posts and audit copies
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    await service.bid_on_handle(GUILD, BOB, "og", 20)  # Alice outbid
    await service.bid_on_handle(GUILD, ALICE, "og", 50)  # Bob outbid
    await service.bid_on_handle(GUILD, BOB, "two", 5)
    await service.bid_on_handle(GUILD, ALICE, "two", 20)  # Bob outbid again
    sender = GatedSender(held_user=ALICE.user_id)
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
    delivering = asyncio.create_task(dispatcher.deliver_due())
    async with asyncio.timeout(20):
        while len(sender.delivered) < 2:  # both of Bob's DMs, while Alice's is held
            await asyncio.sleep(0.01)
    assert not delivering.done()
    assert [m.payload["user_id"] for m in sender.delivered] == [BOB.user_id, BOB.user_id]
    sender.release.set()
    assert await delivering == 3
    bob_ids = [m.id for m in sender.delivered if m.payload["user_id"] == BOB.user_id]
    assert bob_ids == sorted(bob_ids)  # Bob's lane in order


async def test_every_send_waits_its_turn_at_the_pace(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    class CountingPace(RequestPace):
        turns = 0

        async def acquire(self) -> float:
            CountingPace.turns += 1
            return await super().acquire()

    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    await service.end_now(GUILD, MOD, "og")
    sender = RecordingSender()
    pace = CountingPace(1000)
    dispatcher = OutboxDispatcher(
        db, sender, clock=clock, settings=SETTINGS, name="this-process", pace=pace
    )
    assert await drain(dispatcher) == 5
    assert CountingPace.turns == 5


async def test_a_member_outbid_again_while_their_dm_waits_gets_one_dm(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await drain(
        OutboxDispatcher(db, RecordingSender(), clock=clock, settings=SETTINGS, name="this-process")
    )
    await service.bid_on_handle(GUILD, ALICE, "og", 5)
    for amount in (20, 40, 60):  # Bob outbids Alice, she raises, he outbids her again...
        await service.bid_on_handle(GUILD, BOB, "og", amount)
        await service.bid_on_handle(GUILD, ALICE, "og", amount + 10)

    def pending_outbids(uow: UnitOfWork) -> list[int]:
        return [m.payload["user_id"] for m in uow.outbox.due(clock.now(), 100)]

    assert sorted(await db.read(pending_outbids)) == [ALICE.user_id, BOB.user_id]
    sender = RecordingSender()
    await drain(OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process"))
    assert len(sender.delivered) == 2
    await service.bid_on_handle(GUILD, BOB, "og", 200)  # once sent, the next outbid is news
    assert await db.read(pending_outbids) == [ALICE.user_id]


async def test_a_stop_lets_the_message_being_sent_be_recorded_and_sends_no_more(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    class SlowSender(RecordingSender):
        def __init__(self) -> None:
            super().__init__()
            self.sending = asyncio.Event()
            self.finish = asyncio.Event()

        async def post_auction(self, message: OutboxMessage) -> None:  # type: ignore[override]
            self.sending.set()
            await self.finish.wait()
            await super()._deliver(message)

    await service.start_auction(GUILD, MOD, "og", starting_bid=1, duration="1h")
    await service.start_auction(GUILD, MOD, "two", starting_bid=1, duration="1h")
    sender = SlowSender()
    dispatcher = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="this-process")
    dispatcher.start()
    async with asyncio.timeout(20):
        await sender.sending.wait()
    stopping = asyncio.create_task(dispatcher.stop())
    await asyncio.sleep(0)
    sender.finish.set()
    async with asyncio.timeout(20):
        await stopping
    sent = {m.id for m in sender.delivered}
    found = await counts(db)
    assert found.delivered == len(sent) >= 1  # what was sent is recorded as sent
    assert found.pending == 4 - len(sent)  # the rest waits for the next start
    # Let go of at the stop: the next start, under another name, sends them at once.
    again = RecordingSender()
    await drain(OutboxDispatcher(db, again, clock=clock, settings=SETTINGS, name="restarted"))
    assert len(again.delivered) == 4 - len(sent)


class HeldSender(RecordingSender):
    """Holds every message until released, like a process stuck (or dead) mid-send."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.release = asyncio.Event()

    async def _deliver(self, message: OutboxMessage) -> None:
        self.sending.set()
        await self.release.wait()
        await super()._deliver(message)

    post_auction = dm_outbid = announce_result = dm_winner = _deliver
    announce_cancellation = copy_to_audit = send_house_notice = announce_drop = _deliver
    settlement_dm = settlement_notice = _deliver


async def _queue_audit_copies(service: AuctionHouse, handles: list[str]) -> None:
    for handle in handles:  # each start queues its post and an audit copy
        await service.start_auction(GUILD, MOD, handle, starting_bid=1, duration="1h")


async def test_two_processes_over_one_outbox_never_send_a_message_twice(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await _queue_audit_copies(service, ["og", "two", "three"])
    first_sender, second_sender = HeldSender(), RecordingSender()
    first = OutboxDispatcher(db, first_sender, clock=clock, settings=SETTINGS, name="host:1")
    second = OutboxDispatcher(db, second_sender, clock=clock, settings=SETTINGS, name="host:2")
    first_batch = asyncio.create_task(first.deliver_due())
    async with asyncio.timeout(20):
        await first_sender.sending.wait()
    # Everything due is in the first process's hands: the second finds nothing to send.
    assert await second.deliver_due() == 0
    first_sender.release.set()
    async with asyncio.timeout(20):
        assert await first_batch == 3  # the posts; their audit copies waited for them
    # More work, both processes at it at once.
    await _queue_audit_copies(service, ["four", "five", "six", "seven"])
    await asyncio.gather(drain(first), drain(second))
    ids = [m.id for m in first_sender.delivered + second_sender.delivered]
    assert sorted(ids) == list(range(1, 15))  # every message once, none twice
    found = await counts(db)
    assert (found.pending, found.delivered) == (0, 14)


async def test_a_message_held_by_a_process_that_died_is_sent_once_its_lease_ran_out(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await _queue_audit_copies(service, ["og"])
    stuck_sender, sender = HeldSender(), RecordingSender()
    stuck = OutboxDispatcher(db, stuck_sender, clock=clock, settings=SETTINGS, name="host:1")
    other = OutboxDispatcher(db, sender, clock=clock, settings=SETTINGS, name="host:2")
    stuck_batch = asyncio.create_task(stuck.deliver_due())
    async with asyncio.timeout(20):
        await stuck_sender.sending.wait()
    assert await other.deliver_due() == 0
    clock.advance(SETTINGS.lease - timedelta(seconds=1))
    assert await other.deliver_due() == 0  # still held
    clock.advance(timedelta(seconds=1))
    assert await drain(other) == 2  # the lease ran out: taken over and sent
    assert sender.kinds() == ["auction_opened", "moderator_action"]
    assert await drain(other) == 0  # once
    # The stuck process comes back to life and finishes its sends: it records nothing,
    # since the messages are the other process's now (the nonce drops its repeats).
    stuck_sender.release.set()
    async with asyncio.timeout(20):
        await stuck_batch
    attempts = await db.on_connection(
        lambda c: c.execute("SELECT attempts, claimed_by FROM outbox ORDER BY id").fetchall()
    )
    assert attempts == [(1, "host:2"), (1, "host:2")]
    found = await counts(db)
    assert (found.pending, found.delivered, found.failed) == (0, 2, 0)


async def test_a_failure_recorded_after_the_lease_was_lost_is_left_to_the_new_holder(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await _queue_audit_copies(service, ["og"])

    class LateFailure(HeldSender):
        async def _deliver(self, message: OutboxMessage) -> None:
            self.sending.set()
            await self.release.wait()
            raise ConnectionError("discord is down")

        post_auction = copy_to_audit = _deliver

    late = LateFailure()
    slow = OutboxDispatcher(db, late, clock=clock, settings=SETTINGS, name="host:1")
    batch = asyncio.create_task(slow.deliver_due())
    async with asyncio.timeout(20):
        await late.sending.wait()
    clock.advance(SETTINGS.lease)
    taken = await db.write(
        lambda uow: uow.outbox.claim(by="host:2", now=clock.now(), lease=SETTINGS.lease, limit=50)
    )
    assert len(taken) == 1  # the post (its audit copy waits for it)
    late.release.set()
    async with asyncio.timeout(20):
        await batch
    # host:1's retry did not move the message's time nor free host:2's claim.
    row = await db.on_connection(
        lambda c: c.execute(
            "SELECT attempts, claimed_by, last_error FROM outbox WHERE id = ?", (taken[0].id,)
        ).fetchone()
    )
    assert row == (0, "host:2", None)


async def test_a_lone_process_sends_what_its_crashed_run_held_at_once(
    service: AuctionHouse, db: SqliteStore, clock: ManualClock
) -> None:
    await _queue_audit_copies(service, ["og"])
    claimed = await db.write(
        lambda uow: uow.outbox.claim(by="crashed", now=clock.now(), lease=SETTINGS.lease, limit=50)
    )
    assert len(claimed) == 1
    sender = RecordingSender()
    restarted = OutboxDispatcher(
        db, sender, clock=clock, settings=SETTINGS, name="restarted", alone=True
    )
    restarted.start()  # the clock stands still: nothing waits for the crashed run's lease
    try:
        async with asyncio.timeout(20):
            while len(sender.delivered) < 2:
                await asyncio.sleep(0.01)
    finally:
        await restarted.stop()
    assert sender.kinds() == ["auction_opened", "moderator_action"]
