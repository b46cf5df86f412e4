"""The revenue report as Discord shows it: one embed, with the chart attached beside it."""

from __future__ import annotations

import discord

from bot.domain.report import PriceFigures, Report
from bot.interface.rendering import mention, safe_handle

CHART_FILE = "revenue.png"
_FIELD_LIMIT = 1024  # Discord's limit on an embed field's value


def _percent(rate: float | None) -> str:
    return "no closed auctions" if rate is None else f"{rate:.0%} sell-through"


def _prices(figures: PriceFigures, report: Report) -> str:
    if not figures.sales:
        return "no sales"
    assert figures.median is not None and figures.average is not None
    return (
        f"{figures.sales:,} sale(s), {report.currency.format(figures.revenue)}; "
        f"median {figures.median:,}, average {figures.average:,}"
    )


def _clip(text: str) -> str:
    return text if len(text) <= _FIELD_LIMIT else text[: _FIELD_LIMIT - 1] + "…"


def report_embed(report: Report) -> discord.Embed:
    # The start as its UTC date in words: a Discord timestamp would show midnight UTC as the
    # day before to every reader west of UTC.
    start = report.since
    since = (
        "the server's first close or sale"
        if start is None
        else f"midnight UTC on {start.day} {start:%B %Y}"
    )
    embed = discord.Embed(
        title=f"Revenue report: {report.period.label}",
        description=(
            f"From {since} until now. Amounts are in {report.currency.name}, "
            "this server's currency now."
        ),
    )
    auctions = (
        f"{report.closed:,} closed, {report.sold:,} of them sold ({_percent(report.sell_through)})"
    )
    if report.awaiting_payment:
        auctions += f"; {report.awaiting_payment:,} awaiting payment"
    auctions += f"\n{report.cancelled:,} cancelled"
    embed.add_field(name="Auctions", value=auctions, inline=False)
    sales = report.sales
    revenue = report.currency.format(sales.revenue)
    if sales.sales:
        assert sales.median is not None and sales.average is not None
        revenue += (
            f" from {sales.sales:,} sale(s)\nMedian price {sales.median:,}, "
            f"average {sales.average:,}"
        )
    else:
        revenue += ": no sales in this period"
    embed.add_field(name="Revenue", value=revenue, inline=False)
    lengths = [
        f"{line.label} character(s): {_prices(line.figures, report)}"
        for line in report.by_length
        if line.figures.sales
    ]
    if lengths:
        embed.add_field(name="By handle length", value=_clip("\n".join(lengths)), inline=False)
    if report.top:
        top = [
            f"{rank}. {safe_handle(sale.handle.display)}: {report.currency.format(sale.price)} "
            f"to {mention(sale.winner_id)}, {discord.utils.format_dt(sale.sold_at, 'd')}"
            + (" (second chance)" if sale.second_chance else "")
            for rank, sale in enumerate(report.top, start=1)
        ]
        embed.add_field(name="Top sales", value=_clip("\n".join(top)), inline=False)
    embed.add_field(
        name="Pledges",
        value=(
            f"{report.defaults:,} default(s), {report.second_chance_sales:,} second-chance sale(s)"
        ),
        inline=False,
    )
    embed.set_image(url=f"attachment://{CHART_FILE}")
    return embed
