"""Everything the bot shows, built from the read models. No decisions are made here; every
amount is shown in the currency its auction was listed in."""

from __future__ import annotations

import functools
import re
from datetime import datetime

import discord

from bot.auctions.read_models import BidReceipt, OpenPage, PublicAuction, PublicBid
from bot.domain.auction import Effect, Outcome
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode
from bot.domain.relist import relist_line

COLOUR_OPEN = discord.Colour.gold()
COLOUR_SOLD = discord.Colour.green()
COLOUR_ENDED = discord.Colour.dark_grey()
LIST_PAGE_SIZE = 10


# What Discord reads inside <...> besides user and role mentions (escape_mentions breaks
# those): timestamps, channel and command mentions, custom emoji.
_ANGLED = re.compile(r"<(?=t:|#|/|a?:)")


def safe(text: str) -> str:
    """User- or moderator-supplied text, shown literally: no markdown, no mentions, no
    timestamps, channel or command mentions or custom emoji."""
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return _ANGLED.sub(r"\\<", escaped)


def handle_text(view: PublicAuction) -> str:
    return safe_handle(view.handle.display)


@functools.lru_cache(maxsize=1024)
def safe_handle(display: str) -> str:
    """``@name`` shown literally: the whole of it is escaped, so ``@everyone`` or ``@here``
    never reads as a mention, whatever Discord's mention settings. Cached: a burst of bids
    on one auction escapes the same handle for every reply."""
    return safe(f"@{display}")


def mention(user_id: int | None) -> str:
    return "nobody yet" if user_id is None else f"<@{user_id}>"


def when(moment: datetime) -> str:
    """A Discord timestamp: relative, then absolute, rendered in each reader's time zone."""
    return f"{discord.utils.format_dt(moment, 'R')} ({discord.utils.format_dt(moment, 'f')})"


def price_text(view: PublicAuction, *, unset: str = "no bids") -> str:
    """The current price, or ``unset`` while nobody has bid."""
    return view.currency.format(view.price) if view.price is not None else unset


def outcome_text(view: PublicAuction) -> str:
    price = price_text(view, unset="")
    match view.outcome:
        case Outcome.SOLD if view.money is MoneyMode.PLEDGE:
            # Not sold yet: unpaid, it goes to the next bidder (the audit channel follows it).
            return (
                f"Won by {mention(view.winner_id)} for **{price}**: sold once the payment is "
                "confirmed."
            )
        case Outcome.SOLD:
            return f"Sold to {mention(view.winner_id)} for **{price}**."
        case Outcome.RESERVE_NOT_MET:
            return f"Reserve not met: no sale (highest bid {price})."
        case Outcome.NO_BIDS:
            return "Ended with no bids."
        case Outcome.CANCELLED:
            return "Cancelled by a moderator: no sale."
        case _:
            return ""


# What a bidder agrees to, on the post of an auction that is paid for through the bot.
PAYMENT_TERMS = {
    MoneyMode.WALLET: "In credits from your /wallet: a bid holds what it may cost while you "
    "lead, and the winner pays the final price at the close.",
    MoneyMode.PLEDGE: "The winner pays the seller outside the bot by a deadline; unpaid, the "
    "handle is offered to the next bidder.",
}


def auction_embed(view: PublicAuction) -> discord.Embed:
    """The live auction post (also its closed form)."""
    currency = view.currency
    if view.is_open:
        colour, title = COLOUR_OPEN, f"{handle_text(view)} is up for auction"
    else:
        colour = COLOUR_SOLD if view.outcome is Outcome.SOLD else COLOUR_ENDED
        title = f"{handle_text(view)}: auction closed"
    embed = discord.Embed(title=title, colour=colour)
    if view.relist_number and view.relisted_from is not None:
        line = relist_line(
            view.relist_number, view.relisted_from, view.starting_bid, currency.format
        )
        embed.description = f"{line[:1].upper()}{line[1:]}."
    embed.add_field(name="Platform", value=safe(view.platform))
    embed.add_field(name="Current price", value=price_text(view, unset="no bids yet"))
    embed.add_field(name="Leader", value=mention(view.leader_id))
    if view.is_open:
        embed.add_field(name="Minimum next bid", value=currency.format(view.minimum_bid))
    embed.add_field(name="Bids", value=f"{view.bid_count:,}")
    if view.has_reserve:
        embed.add_field(name="Reserve", value="met" if view.reserve_met else "not met yet")
    if view.buy_now is not None:
        label = currency.format(view.buy_now) + (
            "" if view.buy_now_available else " (no longer available)"
        )
        embed.add_field(name="Buy now", value=label)
    if view.is_open and view.money is not MoneyMode.NONE:
        embed.add_field(name="Payment", value=PAYMENT_TERMS[view.money], inline=False)
    if view.is_open:
        embed.add_field(name="Ends", value=when(view.ends_at), inline=False)
        embed.set_footer(text="Bid with the buttons or /bid. Maximums stay secret.")
    else:
        embed.description = outcome_text(view)
        if view.closed_at is not None:
            embed.add_field(name="Closed", value=when(view.closed_at), inline=False)
    return embed


def info_embed(
    view: PublicAuction, bids: list[PublicBid], *, served_by: str | None = None
) -> discord.Embed:
    currency = view.currency
    embed = auction_embed(view)
    if served_by is not None:
        # Below the post's own hint, if it has one: the operator's line comes last.
        hint = embed.footer.text
        embed.set_footer(text=f"{hint}\n{served_by}" if hint else served_by)
    embed.add_field(name="Increment", value=view.increment.describe(currency), inline=False)
    if view.viewer_maximum is not None:
        embed.add_field(
            name="Your secret maximum", value=currency.format(view.viewer_maximum), inline=False
        )
    if bids:
        # Who bid and the price it led to, never the amount typed (it could be a maximum).
        lines = [
            f"{'~~' if b.voided else ''}#{b.id} {mention(b.bidder_id)} "
            f"{discord.utils.format_dt(b.placed_at, 'R')}: {currency.format(b.price_after)}, "
            f"{mention(b.leader_after)} leading{'~~ (voided)' if b.voided else ''}"
            for b in bids
        ]
        embed.add_field(name="Latest bids", value="\n".join(lines), inline=False)
    return embed


def bid_reply(receipt: BidReceipt) -> str:
    view = receipt.auction
    currency = view.currency
    price = currency.format(view.price or 0)
    handle = handle_text(view)
    match receipt.effect:
        case Effect.BOUGHT_NOW:
            text = f"You bought {handle} now for **{price}**. Congratulations!"
        case Effect.OUTBID_BY_PROXY:
            text = (
                f"Your bid of {currency.format(receipt.amount)} on {handle} was accepted, but the "
                f"leader's automatic bid answered at once: the price is now {price}. "
                f"The minimum bid is {currency.format(view.minimum_bid)}."
            )
        case Effect.RAISED_MAXIMUM:
            text = (
                f"You still lead {handle} at {price}; your secret maximum is now "
                f"{currency.format(receipt.maximum)}."
            )
        case _:
            text = f"You lead {handle} at **{price}**"
            text += (
                f"; your maximum ({currency.format(receipt.maximum)}) stays secret."
                if receipt.maximum > (view.price or 0)
                else "."
            )
    if receipt.extended:
        text += f" Anti-sniping moved the end to {when(view.ends_at)}."
    if view.money is MoneyMode.WALLET:
        text += " " + _wallet_line(receipt)
    return text


def _wallet_line(receipt: BidReceipt) -> str:
    """What a wallet auction's bid did to the bidder's credits (the escrow holds a leader's
    cap: their secret maximum, or their bid)."""
    currency = receipt.auction.currency
    match receipt.effect:
        case Effect.BOUGHT_NOW:
            return f"{currency.format(receipt.auction.price or 0)} came from your /wallet."
        case Effect.OUTBID_BY_PROXY:
            return "Nothing is held from your /wallet for it."
        case _:
            return f"Your /wallet holds {currency.format(receipt.maximum)} for it while you lead."


def list_embed(page: OpenPage) -> discord.Embed:
    embed = discord.Embed(title="Open auctions", colour=COLOUR_OPEN)
    if not page.views:
        embed.description = "No auctions are open right now."
        return embed
    lines = []
    for view in page.views:
        price = price_text(view, unset=f"starts at {view.currency.format(view.starting_bid)}")
        lines.append(
            f"**{handle_text(view)}**: {price}, {view.bid_count} bid(s), ends {discord.utils.format_dt(view.ends_at, 'R')}"
        )
    embed.description = "\n".join(lines)
    embed.set_footer(
        text=f"Page {page.page + 1} of {page.pages}, soonest ending first ({page.total} open)"
    )
    return embed


def closed_announcement(view: PublicAuction) -> str:
    return f"**Auction closed: {handle_text(view)}.** {outcome_text(view)}"


def cancelled_announcement(view: PublicAuction, reason: str) -> str:
    return f"**Auction cancelled: {handle_text(view)}.** Reason: {safe(reason)}"


def outbid_dm(view: PublicAuction, link: str | None) -> str:
    currency = view.currency
    text = (
        f"You've been outbid on {handle_text(view)}: the price is now "
        f"{currency.format(view.price or 0)}, and the minimum bid is "
        f"{currency.format(view.minimum_bid)}. Bidding ends {when(view.ends_at)}."
    )
    if link:
        text += f"\n{link}"
    return text + "\n(Turn these messages off with `/outbid-alerts enabled:False`.)"


def winner_dm(view: PublicAuction, guild_name: str | None, then: str | None = None) -> str:
    """``then``: what follows the win (pledge mode: the payment deadline)."""
    currency = view.currency
    where = f" on {safe(guild_name)}" if guild_name else ""
    return (
        f"You won the auction for {handle_text(view)}{where} at **{currency.format(view.price or 0)}**. "
        + (then or "A moderator will be in touch about the hand-over.")
    )


def audit_line(payload: dict[str, object]) -> str:
    reason = payload.get("reason")
    handle = str(payload.get("handle") or "")
    target = f" {safe_handle(handle)}" if handle else ""
    text = (
        f"{mention(int(str(payload['actor_id'])))} **{safe(str(payload['action']))}**"
        f"{target}: {safe(str(payload.get('detail', '')))}"
    )
    return text + (f" (reason: {safe(str(reason))})" if reason else "")


def house_notice(payload: dict[str, object]) -> str:
    return f"**Auction bot:** {safe(str(payload.get('text', '')))}"


def quick_bid_too_late(minimum: int, currency: Currency) -> str:
    return (
        f"Someone bid first: the minimum bid is now {currency.format(minimum)}. "
        "Use the post's updated button, Bid..., or /bid."
    )
