"""What only PostgreSQL has to show: migrations applied once by processes starting together,
the version in its table, and several stores (each what one bot process holds: its own pool)
writing one database at once without losing a bid or closing an auction twice."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import psycopg
import pytest

from bot.auctions.house import AuctionHouse
from bot.auctions.read_models import BidReceipt
from bot.clock import ManualClock
from bot.domain.access import Actor
from bot.domain.auction import PlacedBid, replay
from bot.domain.errors import BidRefused, StorageUnavailable
from bot.ports import StartupError
from bot.storage.postgres.schema import bundled_migrations, migrate
from bot.storage.postgres.store import PostgresStore, safe_url
from tests.conftest import GUILD, MOD, make_service
from tests.fakes import RecordingTimer
from tests.postgres_server import PostgresServer


@pytest.fixture
def store_kind() -> str:
    return "postgres"


@pytest.fixture
def empty_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A database with no schema at all (not a copy of the migrated template)."""
    name = f"empty_{random.randrange(1 << 40):x}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.url_for(name)
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[list[PostgresStore]]:
    """Two stores on one database: what two bot processes hold."""
    opened = [await PostgresStore.open(postgres_url, pool_size=4) for _ in range(2)]
    yield opened
    for store in opened:
        await store.close()


async def test_processes_starting_together_apply_each_migration_once(empty_url: str) -> None:
    opened = await asyncio.gather(*(PostgresStore.open(empty_url, pool_size=1) for _ in range(4)))
    try:
        with psycopg.connect(empty_url) as conn:
            versions = conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        assert [v for (v,) in versions] == [m.version for m in bundled_migrations()]
    finally:
        for store in opened:
            await store.close()


async def test_a_newer_database_is_refused(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as conn:
        migrate(conn)
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    with pytest.raises(StartupError, match="newer than this bot knows"):
        await PostgresStore.open(empty_url)


async def test_a_failing_migration_changes_nothing(empty_url: str) -> None:
    broken = [*bundled_migrations(), type(bundled_migrations()[0])(99, "0099_x.sql", "SELEC 1")]
    with psycopg.connect(empty_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.SyntaxError):
            migrate(conn, broken)
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'auctions'"
        ).fetchone()
    assert tables == (0,)  # the first migrations were undone with the broken one


async def test_an_unreachable_server_is_one_clear_line(postgres_server: PostgresServer) -> None:
    url = postgres_server.url_for("no_such_database")
    with pytest.raises(StartupError, match="no_such_database") as caught:
        await PostgresStore.open(url, connect_timeout=2)
    assert "does not exist" in str(caught.value)  # what the server said, not a timeout
    assert "PostgreSQL is running" in str(caught.value)


def test_the_password_never_reaches_a_log() -> None:
    assert safe_url("postgresql://bot:s3cret@db.example:5433/auctions") == (
        "postgresql://bot@db.example:5433/auctions"
    )


async def test_an_acknowledged_write_is_visible_to_another_connection(
    db: PostgresStore, db_url: str
) -> None:
    house = make_service(db, ManualClock(), RecordingTimer())
    await house.start_auction(GUILD, MOD, "og", starting_bid=10, duration="1h")
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT handle_key FROM auctions").fetchall() == [("og",)]


async def test_a_server_gone_mid_run_is_storage_unavailable(
    db: PostgresStore, db_url: str, postgres_server: PostgresServer
) -> None:
    house = make_service(db, ManualClock(), RecordingTimer())
    await house.start_auction(GUILD, MOD, "og", starting_bid=10, duration="1h")
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        # Refuse new sessions, then cut off the pool's: as if the server went away.
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            with pytest.raises(StorageUnavailable):
                await house.bid_on_handle(GUILD, Actor(10), "og", 10)
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    # Back: the pool reconnects and the bid goes in.
    receipt = await house.bid_on_handle(GUILD, Actor(10), "og", 10)
    assert receipt.auction.price == 10
    assert (await house.get_by_id(receipt.auction.id)).bid_count == 1  # the refused one: none


async def test_two_processes_bidding_on_one_auction_lose_no_bid(
    stores: list[PostgresStore],
) -> None:
    clock = ManualClock()
    houses: list[AuctionHouse] = [make_service(s, clock, RecordingTimer()) for s in stores]
    view = await houses[0].start_auction(GUILD, MOD, "hot", starting_bid=100, duration="1h")
    rng = random.Random(11)
    attempts = []
    for n in range(200):
        amount = int(100 * 1.05 ** max(n + rng.uniform(-3, 3), 0))
        attempts.append((n % 2, Actor(user_id=1000 + n % 20), amount, amount + rng.choice([0, 50])))
    results = await asyncio.gather(
        *(houses[h].bid_on_handle(GUILD, a, "hot", amt, mx) for h, a, amt, mx in attempts),
        return_exceptions=True,
    )
    receipts = [r for r in results if isinstance(r, BidReceipt)]
    assert all(isinstance(r, BidReceipt | BidRefused) for r in results), results
    assert len(receipts) >= 10
    stored = await stores[1].read(lambda uow: uow.auctions.bids(view.id))
    final = await stores[0].read(lambda uow: uow.auctions.get(view.id))
    # Every acknowledged bid is stored, by whichever process took it, and nothing else.
    assert sorted(r.bid_id for r in receipts) == sorted(b.id for b in stored)
    prices = [b.price_after for b in sorted(stored, key=lambda b: b.id)]
    assert prices == sorted(prices)  # never a falling price
    assert final.standing == replay(
        final.terms,
        [PlacedBid(b.bidder_id, b.amount, b.maximum) for b in sorted(stored, key=lambda b: b.id)],
    )


async def test_two_processes_closing_the_same_auctions_close_each_once(
    stores: list[PostgresStore],
) -> None:
    clock = ManualClock()
    houses = [make_service(s, clock, RecordingTimer()) for s in stores]
    ids = []
    for n in range(40):
        view = await houses[n % 2].start_auction(
            GUILD, MOD, f"h{n}", starting_bid=5, duration="10m"
        )
        await houses[0].bid_on_handle(GUILD, Actor(10 + n), f"h{n}", 5)
        ids.append(view.id)
    clock.advance(timedelta(minutes=11))
    # Both processes' sweeps and every close job at once.
    outcomes = await asyncio.gather(
        houses[0].resume(),
        houses[1].resume(),
        *(houses[n % 2].close_if_due(i) for n, i in enumerate(ids)),
    )
    closed_by_resume = outcomes[0] + outcomes[1]
    closed_by_jobs = sum(1 for o in outcomes[2:] if o is not None)
    assert closed_by_resume + closed_by_jobs == len(ids)  # each closed once, by one of them
    counts = await stores[0].read(lambda uow: uow.outbox.counts())
    assert counts.pending >= len(ids)
    with_result = await stores[1].on_connection(
        lambda c: c.execute(
            "SELECT count(*), count(DISTINCT auction_id) FROM outbox WHERE kind = 'auction_closed'"
        ).fetchone()
    )
    assert tuple(with_result) == (len(ids), len(ids))  # one result message per auction
    sold = await stores[0].on_connection(
        lambda c: c.execute("SELECT count(*) FROM sold_handles").fetchone()[0]
    )
    assert sold == len(ids)


async def test_a_setting_changed_by_one_process_reaches_the_other_within_its_keep_for(
    stores: list[PostgresStore],
) -> None:
    from bot.auctions.server_settings import SettingsBook  # noqa: PLC0415
    from tests.conftest import SETTINGS  # noqa: PLC0415

    changer = make_service(stores[0], ManualClock(), RecordingTimer())
    ticks = [0.0]
    other = SettingsBook(stores[1], SETTINGS, keep_for=5.0, monotonic=lambda: ticks[0])
    assert (await other.for_guild(GUILD)).currency.name == "credits"
    await changer.set_setting(GUILD, MOD, "currency.name", "gems")
    ticks[0] = 4.9  # its copy is still trusted: it cannot hear of another process's change
    assert (await other.for_guild(GUILD)).currency.name == "credits"
    ticks[0] = 5.0  # then it reads the server's settings again
    assert (await other.for_guild(GUILD)).currency.name == "gems"


async def test_two_processes_dropping_from_one_inventory_never_schedule_a_handle_twice(
    stores: list[PostgresStore],
) -> None:
    from bot.domain.errors import InvalidInput  # noqa: PLC0415
    from tests.service.test_stock import csv_bytes  # noqa: PLC0415

    clock = ManualClock()
    houses = [make_service(s, clock, RecordingTimer()) for s in stores]
    rows = [[f"drop{n:02}", "50", "", "", "", ""] for n in range(12)]
    await houses[0].stock.import_csv(GUILD, MOD, csv_bytes(rows))
    # Both at once, each asking for every available handle.
    results = await asyncio.gather(
        *(h.drops.create(GUILD, MOD, start="in 1h", count=12, duration="1h") for h in houses),
        return_exceptions=True,
    )
    assert all(not isinstance(r, Exception) or isinstance(r, InvalidInput) for r in results), (
        results
    )
    starts = await stores[0].on_connection(
        lambda c: c.execute("SELECT inventory_id FROM scheduled_starts").fetchall()
    )
    inventory_ids = [i for (i,) in starts]
    assert len(inventory_ids) == len(set(inventory_ids)) == 12  # each handle in one drop
