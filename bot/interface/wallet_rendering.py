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
# Discord refuses an embed whose field value is over 1,024 characters or whose description
# is over 4,096 (6,000 in all). Reasons may be 300 characters, and escaping can double them.
FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
# Reasons are shortened to the first of these lengths at which every line fits.
REASON_LENGTHS = (300, 100, 40, 0)


def _auctions(count: int) -> str:
    return f"{count} auction{'' if count == 1 else 's'}"


def _on(entry: Entry) -> str:
    if entry.handle:
        return f" {safe_handle(entry.handle)}"
    return f" auction #{entry.auction_id}" if entry.auction_id is not None else ""


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: max(length - 1, 0)].rstrip() + "…"


def entry_line(entry: Entry, currency: Currency, reason_length: int = REASON_LENGTHS[0]) -> str:
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
    why = f" ({safe(_shortened(entry.reason, reason_length))})" if reason_length else ""
    return f"{stamp(entry.at, 'd')} · {what}{why}"


def _entry_lines(entries: list[Entry], currency: Currency, limit: int) -> str:
    """The entries, one a line, their reasons shortened as much as it takes to fit ``limit``
    (and, should even that not do, the lines that fit)."""
    for length in REASON_LENGTHS:
        text = "\n".join(entry_line(e, currency, length) for e in entries)
        if len(text) <= limit:
            return text
    return _fit([entry_line(e, currency, 0) for e in entries], limit)


def _fit(lines: list[str], limit: int, at_most: int | None = None) -> str:
    """As many whole lines as fit in ``limit`` (at most ``at_most``), then how many were
    left out."""
    shown = lines if at_most is None else lines[:at_most]
    while True:
        left = len(lines) - len(shown)
        text = "\n".join(shown + ([f"and {left} more"] if left else []))
        if len(text) <= limit or not shown:
            return text
        shown = shown[:-1]


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
            for h in balance.holds
        ]
        value = _fit(shown, FIELD_LIMIT, HOLDS_SHOWN)
        embed.add_field(name="Held for your leading bids", value=value, inline=False)
    if view.recent:
        embed.add_field(
            name="Latest movements",
            value=_entry_lines(view.recent, currency, FIELD_LIMIT),
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
    embed.description = _entry_lines(page.entries, page.currency, DESCRIPTION_LIMIT)
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
