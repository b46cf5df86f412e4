"""How the handle house's answers look on Discord: imports, the inventory, valuations, the
sold registry and drops. Everything a member typed (handles are checked, notes and tags are
not) goes through ``safe``."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.auctions.drops import DropPlan
from bot.auctions.stock import Appraisal, ImportReport, ItemDetails, StockPage
from bot.domain.inventory import Drop, ItemStatus, ScheduledStart
from bot.domain.money import Currency
from bot.domain.records import Sale
from bot.interface.rendering import COLOUR_OPEN, mention, safe, safe_handle

MAX_LISTED = 20  # slots or refusals spelled out in one message


def stamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def import_summary(report: ImportReport) -> str:
    text = f"Imported **{report.added:,}** handle(s); **{report.refused:,}** refused."
    refused = [line for line in report.lines if line.result == "refused"]
    if refused:
        shown = "\n".join(f"row {line.number}: {safe(line.reason)}" for line in refused[:5])
        text += f"\n{shown}"
        if len(refused) > 5:
            text += f"\n…and {len(refused) - 5:,} more"
    if report.overridden:
        text += f"\nBrand override (audited) for {len(report.overridden)} handle(s)."
    return text + "\nThe attached report has a line for every row."


def appraisal_text(appraisal: Appraisal, currency: Currency) -> str:
    v = appraisal.valuation
    reasons = "; ".join(v.reasons) or "nothing stands out"
    return (
        f"Valuation **{v.score}/100** ({safe(reasons)}). Suggested starting bid "
        f"{currency.format(appraisal.suggestion.amount)}: {safe(appraisal.suggestion.basis)}."
    )


def _status(status: ItemStatus) -> str:
    return status.value.replace("_", " ")


def inventory_embed(page: StockPage, currency: Currency) -> discord.Embed:
    embed = discord.Embed(title="Inventory", colour=COLOUR_OPEN)
    if not page.items:
        embed.description = "Nothing matches. `/inventory import` adds handles from a CSV file."
        return embed
    lines = []
    for item in page.items:
        price = (
            currency.format(item.prices.starting_bid)
            if item.prices.starting_bid is not None
            else "no starting bid"
        )
        tags = f" · {safe(', '.join(item.tags))}" if item.tags else ""
        lines.append(
            f"{safe_handle(item.handle.display)} · score {item.score} · {price} · "
            f"{_status(item.status)}{tags}"
        )
    embed.description = "\n".join(lines)
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages} · {page.total:,} handle(s)")
    return embed


def item_embed(details: ItemDetails, currency: Currency) -> discord.Embed:
    item = details.item
    embed = discord.Embed(title=f"{safe_handle(item.handle.display)} in the inventory")
    embed.add_field(name="Status", value=_status(item.status))
    for name, amount in (
        ("Starting bid", item.prices.starting_bid),
        ("Reserve", item.prices.reserve),
        ("Buy now", item.prices.buy_now),
    ):
        embed.add_field(name=name, value=currency.format(amount) if amount else "not set")
    if item.tags:
        embed.add_field(name="Tags", value=safe(", ".join(item.tags)))
    if item.relists:
        embed.add_field(name="Relists", value=str(item.relists))
    embed.add_field(
        name="Added", value=f"{stamp(item.added_at, 'd')} by {mention(item.added_by)}", inline=False
    )
    if item.note:
        embed.add_field(name="Note", value=safe(item.note)[:1024], inline=False)
    embed.add_field(
        name="Valuation", value=appraisal_text(details.appraisal, currency)[:1024], inline=False
    )
    embed.set_footer(text="Only moderators see valuations.")
    return embed


def sold_embed(
    sales: list[Sale], total: int, page: int, pages: int, member_id: int | None
) -> discord.Embed:
    title = "Sold handles" if member_id is None else "Handles held"
    embed = discord.Embed(title=title, colour=COLOUR_OPEN)
    if member_id is not None:
        embed.description = f"Held by {mention(member_id)}\n"
    else:
        embed.description = ""
    if not sales:
        embed.description += "None yet."
        return embed
    embed.description += "\n".join(sale_line(s) for s in sales)
    embed.set_footer(text=f"Page {page + 1} of {pages} · {total:,} handle(s)")
    return embed


def sale_line(sale: Sale, currency: Currency | None = None) -> str:
    price = currency.format(sale.price) if currency else f"{sale.price:,}"
    return (
        f"{safe_handle(sale.handle.display)} · {mention(sale.winner_id)} · {price} · "
        f"since {stamp(sale.sold_at, 'd')}"
    )


def drop_plan_text(plan: DropPlan, currency: Currency) -> str:
    drop = plan.drop
    head = (
        f"Drop #{drop.id}: {len(plan.slots)} auction(s) from {stamp(drop.first_start)}"
        f" ({stamp(drop.first_start, 'R')})"
    )
    if len(plan.slots) < plan.asked:
        head += f"; only {len(plan.slots)} of the {plan.asked} asked for were available"
    head += f". Announced {stamp(drop.announce_at, 'R')}."
    lines = [
        f"{stamp(slot.starts_at, 't')} {safe_handle(slot.handle)} from "
        f"{currency.format(slot.starting_bid)}" + (" (suggested)" if slot.suggested else "")
        for slot in plan.slots[:MAX_LISTED]
    ]
    if len(plan.slots) > MAX_LISTED:
        lines.append(f"…and {len(plan.slots) - MAX_LISTED} more")
    return head + "\n" + "\n".join(lines)


def drops_embed(drops: list[tuple[Drop, list[ScheduledStart], list[str]]]) -> discord.Embed:
    embed = discord.Embed(title="Upcoming drops", colour=COLOUR_OPEN)
    if not drops:
        embed.description = "No drops are scheduled. `/auctioneer drop` makes one."
        return embed
    room = 5_500  # Discord refuses an embed over 6,000 characters in all
    for shown, (drop, starts, names) in enumerate(drops[:25]):
        pending = [(s, n) for s, n in zip(starts, names, strict=True) if s.pending]
        first = pending[0][0].starts_at if pending else drop.first_start
        value = (
            f"{len(pending)} to start, next {stamp(first)} ({stamp(first, 'R')}): "
            + ", ".join(safe_handle(n) for _, n in pending[:10])
            + (" …" if len(pending) > 10 else "")
        )
        room -= len(value[:1024]) + 12
        if room < 0:
            embed.set_footer(text=f"…and {len(drops) - shown} more drop(s)")
            break
        embed.add_field(name=f"Drop #{drop.id}", value=value[:1024], inline=False)
    return embed


def drop_announcement(payload: dict[str, object]) -> str:
    drop_id = payload.get("drop_id")
    if payload.get("cancelled"):
        return f"**Drop #{drop_id} is cancelled.** Its auctions will not start."
    slots = payload.get("slots")
    entries = slots if isinstance(slots, list) else []
    currency = str(payload.get("currency", "credits"))
    lines = []
    for slot in entries[:MAX_LISTED]:
        at = datetime.fromtimestamp(int(slot["at"]), tz=UTC)
        lines.append(
            f"{stamp(at, 't')} {safe_handle(str(slot['handle']))} from "
            f"{int(slot['starting_bid']):,} {safe(currency)}"
        )
    if len(entries) > MAX_LISTED:
        lines.append(f"…and {len(entries) - MAX_LISTED} more")
    first = datetime.fromtimestamp(int(entries[0]["at"]), tz=UTC) if entries else None
    head = f"**Drop #{drop_id}: {len(entries)} handle(s) go up for auction"
    head += f" from {stamp(first)} ({stamp(first, 'R')})**" if first else "**"
    return head + "\n" + "\n".join(lines)
