"""The SQLite repositories speak in domain terms: the database's own guards come back as
domain errors, and old rows are brought up to what the domain expects."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.auction import Auction, Outcome, Status, Terms
from bot.domain.errors import HandleUnavailable
from bot.domain.handles import Handle
from bot.domain.money import Currency, IncrementRule
from bot.storage.sqlite.schema import bundled_migrations, migrate
from bot.storage.sqlite.store import SqliteStore, _adopt_currency
from bot.unit_of_work import UnitOfWork
from tests.conftest import GUILD, INTEGRITY_ERRORS, OTHER_GUILD

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TERMS = Terms(starting_bid=10, increment=IncrementRule(absolute=1, percent=0))
GEMS = Currency(name="gems", max_amount=500)
DEFAULT = Currency()


def add(
    handle: str, guild_id: int = GUILD, currency: Currency = DEFAULT
) -> Callable[[UnitOfWork], Auction]:
    def transaction(uow: UnitOfWork) -> Auction:
        return uow.auctions.add(
            guild_id=guild_id,
            handle=Handle(display=handle, key=handle.lower()),
            platform="x",
            terms=TERMS,
            currency=currency,
            opened_by=1,
            opened_at=NOW,
            ends_at=NOW + timedelta(hours=1),
            channel_id=None,
        )

    return transaction


async def count(db: SqliteStore, sql: str) -> int:
    return await db.on_connection(lambda c: c.execute(sql).fetchone()[0])


# -- one open auction per handle per server, as a domain error -------------------------------


async def test_a_second_open_auction_for_a_handle_is_a_domain_error(db: SqliteStore) -> None:
    first = await db.write(add("OG"))
    with pytest.raises(HandleUnavailable) as caught:
        await db.write(add("og"))  # the same handle, whatever its casing
    assert not isinstance(caught.value, INTEGRITY_ERRORS)
    assert str(caught.value) == "@og is already up for auction on this server."
    assert await count(db, "SELECT COUNT(*) FROM auctions") == 1
    assert (await db.read(lambda uow: uow.auctions.find_open(GUILD, "og"))) == first


async def test_the_same_handle_is_free_on_another_server_and_after_closing(
    db: SqliteStore,
) -> None:
    first = await db.write(add("og"))
    await db.write(add("og", guild_id=OTHER_GUILD))
    await db.write(
        lambda uow: uow.auctions.finish(
            first.id, status=Status.CLOSED, outcome=Outcome.NO_BIDS, at=NOW
        )
    )
    relisted = await db.write(add("og"))
    assert relisted.id != first.id
    with pytest.raises(HandleUnavailable):
        await db.write(add("og"))
    assert await count(db, "SELECT COUNT(*) FROM auctions WHERE status = 'open'") == 2


async def test_in_one_batch_the_loser_alone_is_refused(db: SqliteStore) -> None:
    # Queued together they share a transaction; the refused one's savepoint is undone alone.
    results = await asyncio.gather(
        db.write(add("og")), db.write(add("og")), db.write(add("other")), return_exceptions=True
    )
    assert isinstance(results[0], Auction)
    assert isinstance(results[1], HandleUnavailable)
    assert isinstance(results[2], Auction)
    assert await count(db, "SELECT COUNT(*) FROM auctions") == 2


async def test_other_integrity_errors_are_not_disguised(db: SqliteStore) -> None:
    bad = Terms(starting_bid=0, increment=IncrementRule(absolute=1, percent=0))

    def transaction(uow: UnitOfWork) -> Auction:
        return uow.auctions.add(
            guild_id=GUILD, handle=Handle(display="og", key="og"), platform="x", terms=bad,
            currency=Currency(), opened_by=1, opened_at=NOW, ends_at=NOW, channel_id=None,
        )  # fmt: skip

    with pytest.raises(INTEGRITY_ERRORS, match=r"(?i)check constraint"):
        await db.write(transaction)


# -- migration 0004: auctions listed before it get the currency they were listed in ----------


def old_database(path: Path) -> None:
    """A database as the bot left it before auctions kept their own currency."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, bundled_migrations()[:3]) == 3
        conn.execute(
            "INSERT INTO auctions (id, guild_id, handle_key, handle_display, platform,"
            " starting_bid, increment_absolute, increment_percent, anti_snipe_window_us,"
            " anti_snipe_extension_us, max_extensions, opened_by, opened_at, ends_at)"
            " VALUES (7, ?, 'og', 'OG', 'x', 10, 1, 5, 0, 0, 0, 1, 0, 3600000000)",
            (GUILD,),
        )
    finally:
        conn.close()


async def test_migration_0004_gives_old_auctions_the_configured_currency(db_path: Path) -> None:
    old_database(db_path)
    store = await SqliteStore.open(db_path, legacy_currency=GEMS)
    try:
        version = await store.on_connection(
            lambda c: c.execute("PRAGMA user_version").fetchone()[0]
        )
        assert version == bundled_migrations()[-1].version >= 4
        auction = await store.read(lambda uow: uow.auctions.get(7))
        assert auction.currency == GEMS
        assert (auction.currency.name, auction.currency.max_amount) == ("gems", 500)
        assert auction.handle.display == "OG"
        assert not auction.post_lost
        # An auction listed now keeps its own currency.
        newer = await store.write(add("new", currency=Currency(name="credits", max_amount=99)))
    finally:
        await store.close()

    # Opening again with another configured currency changes neither.
    store = await SqliteStore.open(db_path, legacy_currency=Currency(name="coins", max_amount=9))
    try:
        again = await store.read(lambda uow: uow.auctions.get(7))
        assert again.currency == GEMS
        kept = await store.read(lambda uow: uow.auctions.get(newer.id))
        assert kept.currency == Currency(name="credits", max_amount=99)
    finally:
        await store.close()


def test_the_currency_update_at_each_start_reads_only_auctions_without_one(
    db_path: Path,
) -> None:
    # It runs at every start: a scan would read every auction ever listed, history included.
    old_database(db_path)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        migrate(conn)
        conn.executemany(
            "INSERT INTO auctions (guild_id, handle_key, handle_display, platform,"
            " starting_bid, increment_absolute, increment_percent, anti_snipe_window_us,"
            " anti_snipe_extension_us, max_extensions, opened_by, opened_at, ends_at,"
            " currency_name, currency_max) VALUES (1, ?, ?, 'x', 1, 1, 0, 0, 0, 0, 1, 0, 0,"
            " 'credits', 99)",
            [(f"h{n}", f"h{n}") for n in range(500)],
        )
        conn.execute("ANALYZE")
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        _adopt_currency(conn, GEMS)
        conn.set_trace_callback(None)
        (update,) = statements
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {update}")]
        # Walks the partial index (only rows without a currency), never the table itself.
        assert plan and all("USING INDEX auctions_without_currency" in step for step in plan), plan
        assert conn.execute(
            "SELECT currency_name, COUNT(*) FROM auctions GROUP BY currency_name ORDER BY 1"
        ).fetchall() == [("credits", 500), ("gems", 1)]
    finally:
        conn.close()


async def test_without_a_configured_currency_old_auctions_get_the_default(db_path: Path) -> None:
    old_database(db_path)
    store = await SqliteStore.open(db_path)
    try:
        rows = await store.on_connection(
            lambda c: c.execute("SELECT currency_name, currency_max FROM auctions").fetchall()
        )
        assert rows == [(Currency().name, Currency().max_amount)]
    finally:
        await store.close()


async def test_handles_sort_by_code_point_on_both_stores(db: SqliteStore) -> None:
    # PostgreSQL would otherwise sort by the database's locale (en_US puts '_' and digits
    # elsewhere), and pages of /inventory list would differ from SQLite's.
    from bot.domain.inventory import NewItem, StockPrices  # noqa: PLC0415

    keys = ["a_b", "ab", "a1", "Ab", "a", "b_", "_a", "10", "9"]
    items = [
        NewItem(Handle(display=k, key=k), StockPrices(None, None, None), (), "", 50) for k in keys
    ]
    await db.write(lambda uow: uow.inventory.add_many(GUILD, items, by=1, at=NOW))
    page, total = await db.read(
        lambda uow: uow.inventory.page(
            GUILD, status=None, containing="", tag=None, sort="name", offset=0, limit=50
        )
    )
    assert total == len(keys)
    assert [i.handle.key for i in page] == sorted(keys)
