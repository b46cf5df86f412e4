"""The revenue report's reads on both stores: auctions closed in a span, counted by result,
sale and settlement; sales in the span; pledge defaults and second-chance sales. The pledge
rows are written here directly, as pledge settlement writes them (migration 0013/0004)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.auction import Outcome, Status, Terms
from bot.domain.handles import Handle
from bot.domain.money import Currency, IncrementRule
from bot.domain.payments import MoneyMode
from bot.domain.records import Sale
from bot.domain.report import ClosedGroup, Period, ReportRows, build_report
from bot.storage.sql.codec import to_us
from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import GUILD, OTHER_GUILD

NOW = datetime(2026, 12, 3, 10, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)
TERMS = Terms(starting_bid=10, increment=IncrementRule(absolute=1, percent=0))


def close(
    uow: UnitOfWork,
    handle: str,
    at: datetime,
    *,
    outcome: Outcome = Outcome.SOLD,
    guild_id: int = GUILD,
    money: MoneyMode = MoneyMode.NONE,
) -> int:
    """An auction that closed (or was cancelled) at ``at``."""
    auction = uow.auctions.add(
        guild_id=guild_id,
        handle=Handle(display=handle, key=handle.lower()),
        platform="x",
        terms=TERMS,
        currency=Currency(),
        opened_by=1,
        opened_at=at - timedelta(hours=1),
        ends_at=at,
        channel_id=None,
        money=money,
    )
    status = Status.CANCELLED if outcome is Outcome.CANCELLED else Status.CLOSED
    assert uow.auctions.finish(auction.id, status=status, outcome=outcome, at=at)
    return auction.id


def sell(
    uow: UnitOfWork, auction_id: int, handle: str, price: int, at: datetime, *, winner: int = 10
) -> None:
    uow.sales.record(
        Sale(
            guild_id=uow.auctions.get(auction_id).guild_id,
            handle=Handle(display=handle, key=handle.lower()),
            auction_id=auction_id,
            winner_id=winner,
            price=price,
            sold_at=at,
        )
    )


async def settle(
    db: SqliteStore,
    auction_id: int,
    status: str,
    steps: list[tuple[int, int, str, datetime | None]],
    guild_id: int = GUILD,
) -> None:
    """A pledge settlement and its steps (round, member, state, decided_at), as pledge
    settlement leaves them."""

    def write(conn: object) -> None:
        execute = conn.execute  # type: ignore[attr-defined]
        execute(
            "INSERT INTO settlements (auction_id, guild_id, status) VALUES (?, ?, ?)",
            (auction_id, guild_id, status),
        )
        for round_, member, state, decided in steps:
            execute(
                "INSERT INTO settlement_steps (auction_id, guild_id, round, member_id, price,"
                " offered_at, due_at, state, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    auction_id, guild_id, round_, member, 100, to_us(WEEK_AGO),
                    to_us(NOW), state, None if decided is None else to_us(decided),
                ),
            )  # fmt: skip

    await db.on_connection(write)


async def test_closed_auctions_are_counted_by_result_sale_and_settlement(db: SqliteStore) -> None:
    day = NOW - timedelta(days=1)

    def fill(uow: UnitOfWork) -> dict[str, int]:
        ids = {
            "sold": close(uow, "sold", day),
            "nobids": close(uow, "nobids", day, outcome=Outcome.NO_BIDS),
            "reserve": close(uow, "reserve", day, outcome=Outcome.RESERVE_NOT_MET),
            "cancelled": close(uow, "cancelled", day, outcome=Outcome.CANCELLED),
            "unpaid": close(uow, "unpaid", day, money=MoneyMode.PLEDGE),
            "old": close(uow, "old", WEEK_AGO - timedelta(seconds=1)),
            "elsewhere": close(uow, "elsewhere", day, guild_id=OTHER_GUILD),
        }
        sell(uow, ids["sold"], "sold", 500, day)
        # Sold long ago, released since: still a sale.
        sell(uow, ids["old"], "old", 900, WEEK_AGO - timedelta(seconds=1))
        uow.sales.release(GUILD, "old", by=1, reason="returned", at=day)
        return ids

    ids = await db.write(fill)
    await settle(db, ids["unpaid"], "due", [(0, 10, "awaiting_payment", None)])

    groups = await db.read(lambda uow: uow.report.closed(GUILD, WEEK_AGO, NOW))
    found = {(g.status, g.outcome, g.sold, g.settlement): g.count for g in groups}
    assert found == {
        (Status.CLOSED, Outcome.SOLD, True, None): 1,
        (Status.CLOSED, Outcome.NO_BIDS, False, None): 1,
        (Status.CLOSED, Outcome.RESERVE_NOT_MET, False, None): 1,
        (Status.CANCELLED, Outcome.CANCELLED, False, None): 1,
        (Status.CLOSED, Outcome.SOLD, False, "due"): 1,
    }
    assert all(isinstance(g, ClosedGroup) and g.first_closed_at == day for g in groups)

    everything = await db.read(lambda uow: uow.report.closed(GUILD, None, NOW))
    assert sum(g.count for g in everything) == 6
    released = await db.read(lambda uow: uow.report.sales(GUILD, None, NOW))
    assert [(s.handle.key, s.price, s.released) for s in released] == [
        ("old", 900, True),
        ("sold", 500, False),
    ]


async def test_sales_in_the_span_oldest_first(db: SqliteStore) -> None:
    def fill(uow: UnitOfWork) -> None:
        for n, (handle, price, at) in enumerate(
            [
                ("b", 200, NOW - timedelta(hours=2)),
                ("a", 100, NOW - timedelta(days=3)),
                ("c", 300, WEEK_AGO - timedelta(microseconds=1)),  # just before the span
                ("d", 400, WEEK_AGO),  # its first moment
            ]
        ):
            sell(uow, close(uow, handle, at), handle, price, at, winner=50 + n)

    await db.write(fill)
    sales = await db.read(lambda uow: uow.report.sales(GUILD, WEEK_AGO, NOW))
    assert [(s.handle.key, s.price, s.winner_id) for s in sales] == [
        ("d", 400, 53),
        ("a", 100, 51),
        ("b", 200, 50),
    ]
    assert sales[0].sold_at == WEEK_AGO
    assert await db.read(lambda uow: uow.report.sales(OTHER_GUILD, None, NOW)) == []


async def test_defaults_and_second_chance_sales_from_the_settlement_tables(
    db: SqliteStore,
) -> None:
    day = NOW - timedelta(days=2)

    def fill(uow: UnitOfWork) -> list[int]:
        return [close(uow, f"p{n}", day, money=MoneyMode.PLEDGE) for n in range(4)]

    second, winner_paid, nobody, old = await db.write(fill)
    # The winner defaulted, the runner-up took the offer and paid: a second-chance sale.
    await settle(db, second, "paid", [(0, 10, "defaulted", day), (1, 20, "paid", NOW)])
    # The winner paid: a sale, not a second chance.
    await settle(db, winner_paid, "paid", [(0, 10, "paid", day)])
    # Defaulted, the offer declined, the next expired: unsold.
    await settle(
        db,
        nobody,
        "unsold",
        [(0, 10, "defaulted", day), (1, 20, "declined", day), (2, 30, "expired", NOW)],
    )
    # A default before the span.
    await settle(
        db,
        old,
        "due",
        [(0, 10, "defaulted", WEEK_AGO - timedelta(days=1)), (1, 20, "offered", None)],
    )

    assert await db.read(lambda uow: uow.report.defaults(GUILD, WEEK_AGO, NOW)) == 2
    assert await db.read(lambda uow: uow.report.defaults(GUILD, None, NOW)) == 3
    assert await db.read(lambda uow: uow.report.defaults(OTHER_GUILD, None, NOW)) == 0
    assert await db.read(lambda uow: uow.report.second_chance_sales(GUILD, WEEK_AGO, NOW)) == {
        second
    }
    assert await db.read(lambda uow: uow.report.second_chance_sales(GUILD, NOW, NOW)) == {second}
    assert (
        await db.read(
            lambda uow: uow.report.second_chance_sales(GUILD, day, NOW - timedelta(seconds=1))
        )
        == frozenset()
    )

    # Paid: the registry has the sales (pledge settlement records them once paid).
    def paid(uow: UnitOfWork) -> None:
        sell(uow, second, "p0", 100, NOW, winner=20)
        sell(uow, winner_paid, "p1", 100, day)

    await db.write(paid)
    rows = ReportRows(
        closed=await db.read(lambda uow: uow.report.closed(GUILD, WEEK_AGO, NOW)),
        sales=await db.read(lambda uow: uow.report.sales(GUILD, WEEK_AGO, NOW)),
        defaults=2,
        second_chance=frozenset({second}),
    )
    report = build_report(GUILD, Period.WEEK, NOW, rows, Currency())
    # Two sold; the one still due awaits payment; the one nobody took is neither.
    assert (report.closed, report.sold, report.awaiting_payment) == (4, 2, 1)
    assert report.second_chance_sales == 1
    assert [t.second_chance for t in report.top] == [False, True]  # the earlier sale first
