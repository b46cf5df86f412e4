"""The revenue report through the core on both stores: auctions run the ordinary way (start,
bid, end, cancel) are what the report counts; only moderators may ask for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.auctions.house import AuctionHouse
from bot.clock import ManualClock
from bot.domain.errors import InvalidInput, NotPermitted
from bot.domain.report import Period
from tests.conftest import ALICE, BOB, GUILD, MOD, OTHER_GUILD


async def sell(service: AuctionHouse, handle: str, *bids: tuple[object, int]) -> None:
    await service.start_auction(GUILD, MOD, handle, starting_bid=100, duration="1h")
    for bidder, amount in bids:
        await service.bid_on_handle(GUILD, bidder, handle, amount)  # type: ignore[arg-type]
    await service.end_now(GUILD, MOD, handle)


async def test_the_report_counts_what_closed_and_sold(
    service: AuctionHouse, clock: ManualClock
) -> None:
    await sell(service, "@old", (ALICE, 5000))
    clock.advance(timedelta(days=10))
    await sell(service, "@abc", (ALICE, 100), (BOB, 300))
    await sell(service, "@wxyz", (BOB, 1000))
    await sell(service, "@nobody")
    await service.start_auction(GUILD, MOD, "@gone", starting_bid=100, duration="1h")
    await service.cancel(GUILD, MOD, "@gone", "listed by mistake")
    await service.start_auction(GUILD, MOD, "@running", starting_bid=100, duration="1h")
    await service.set_setting(GUILD, MOD, "currency.name", "gems")

    report = await service.reports.report(GUILD, MOD, "7d")
    assert report.period is Period.WEEK
    assert (report.closed, report.sold, report.cancelled) == (3, 2, 1)
    assert report.sell_through == pytest.approx(2 / 3)
    assert (report.sales.sales, report.sales.revenue) == (2, 1300)
    assert report.sales.median == 650
    assert report.currency.name == "gems"
    assert [(t.handle.display, t.price, t.winner_id) for t in report.top] == [
        ("wxyz", 1000, BOB.user_id),
        ("abc", 300, BOB.user_id),
    ]
    lengths = {line.label: line.figures.sales for line in report.by_length}
    assert (lengths["3"], lengths["4"]) == (1, 1)
    assert sum(b.revenue for b in report.series) == 1300
    assert report.series[-1].revenue == 1300  # all of it today

    everything = await service.reports.report(GUILD, MOD, Period.ALL)
    assert (everything.closed, everything.sales.revenue) == (4, 6300)
    assert everything.top[0].handle.display == "old"
    assert (await service.reports.for_guild(OTHER_GUILD, "all")).closed == 0


async def test_only_moderators_get_the_report_and_periods_are_checked(
    service: AuctionHouse,
) -> None:
    with pytest.raises(NotPermitted):
        await service.reports.report(GUILD, ALICE, "30d")
    with pytest.raises(InvalidInput, match="7d, 30d, 90d, all"):
        await service.reports.report(GUILD, MOD, "week")
