"""How wallets look in Discord: ``/wallet``, its history pages, and a moderator's credit or
debit. Reasons and handles are shown literally (no markdown, no mentions)."""

from __future__ import annotations

import discord

from bot.auctions.wallet import HistoryPage, WalletChange, WalletView
from bot.domain.ledger import Entry, Movement
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode
from bot.interface.rendering import mention, safe, safe_handle
from bot.interface.stock_rendering import stamp

COLOUR = discord.Colour.gold()
HOLDS_SHOWN = 10


def _auctions(count: int) -> str:
    return f"{count} auction{'' if count == 1 else 's'}"


def _on(entry: Entry) -> str:
    if entry.handle:
        return f" {safe_handle(entry.handle)}"
    return f" auction #{entry.auction_id}" if entry.auction_id is not None else ""


def entry_line(entry: Entry, currency: Currency) -> str:
    """One movement, as the member whose credits moved sees it."""
    amount = currency.format(entry.amount)
    match entry.movement:
        case Movement.GRANT:
            what = f"**+{amount}** credited"
        case Movement.REVOKE:
            what = f"**-{amount}** debited"
        case Movement.HOLD:
            what = f"{amount} held for{_on(entry)}"
        case Movement.RELEASE:
            what = f"{amount} released from{_on(entry)}"
        case Movement.CAPTURE:
            what = f"**{amount}** paid for{_on(entry)}"
    return f"{stamp(entry.at, 'd')} · {what} ({safe(entry.reason)})"


def wallet_embed(view: WalletView) -> discord.Embed:
    embed = discord.Embed(title="Your wallet", colour=COLOUR)
    currency, balance = view.currency, view.balance
    if view.mode is not MoneyMode.WALLET and view.entries == 0:
        embed.description = (
            "This server doesn't pay for auctions from wallets "
            f"(its money mode is {view.mode.value}), and you have no credits here."
        )
        return embed
    lines = [
        f"**Balance:** {currency.format(balance.total)}",
        f"**Held:** {currency.format(balance.held)}"
        + (f" (in {_auctions(len(balance.holds))})" if balance.holds else ""),
        f"**Available:** {currency.format(balance.available)}",
    ]
    if view.mode is not MoneyMode.WALLET:
        lines.append(
            f"New auctions here are not paid from wallets for now (money mode: {view.mode.value})."
        )
    embed.description = "\n".join(lines)
    if balance.holds:
        shown = [
            f"{safe_handle(h.handle) if h.handle else f'auction #{h.auction_id}'}"
            f" · {currency.format(h.amount)}"
            for h in balance.holds[:HOLDS_SHOWN]
        ]
        if len(balance.holds) > HOLDS_SHOWN:
            shown.append(f"and {len(balance.holds) - HOLDS_SHOWN} more")
        embed.add_field(name="Held for your leading bids", value="\n".join(shown), inline=False)
    if view.recent:
        embed.add_field(
            name="Latest movements",
            value="\n".join(entry_line(e, currency) for e in view.recent),
            inline=False,
        )
        if view.entries > len(view.recent):
            embed.set_footer(text=f"{view.entries:,} movements in all: /wallet show:history")
    return embed


def history_embed(page: HistoryPage) -> discord.Embed:
    embed = discord.Embed(title="Your wallet's history", colour=COLOUR)
    if not page.entries:
        embed.description = "No movements yet."
        return embed
    embed.description = "\n".join(entry_line(e, page.currency) for e in page.entries)
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages} · {page.total:,} movement(s)")
    return embed


def change_text(change: WalletChange) -> str:
    currency, balance = change.currency, change.balance
    verb = "Credited" if change.movement is Movement.GRANT else "Debited"
    way = "to" if change.movement is Movement.GRANT else "from"
    held = f", {currency.format(balance.held)} held" if balance.held else ""
    return (
        f"{verb} {currency.format(change.amount)} {way} {mention(change.member_id)}: "
        f"they now have {currency.format(balance.available)} available{held}."
    )
