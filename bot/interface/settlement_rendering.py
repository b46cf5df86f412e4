"""What pledge settlements say: the members' DMs and the audit channel's copies of each step.
Built from the outbox message's payload and the auction as it is now (its handle and currency)."""

from __future__ import annotations

from typing import Any

from bot.auctions.read_models import PublicAuction
from bot.domain.money import Currency
from bot.interface.rendering import handle_text, mention, safe, safe_handle


def deadline(unix: int) -> str:
    """A deadline as Discord shows it in each reader's time zone: the date and time, then
    how far away it is."""
    return f"<t:{unix}:F> (<t:{unix}:R>)"


def winner_payment_line(due_unix: int) -> str:
    return (
        f"Please pay by {deadline(due_unix)}. A moderator confirms your payment, and the "
        "handle is yours once they do. Unpaid by then, the sale goes to the next bidder and "
        "counts as an unpaid win against you."
    )


def _where(guild_name: str | None) -> str:
    return f" on {safe(guild_name)}" if guild_name else ""


def member_dm(payload: dict[str, Any], view: PublicAuction, guild_name: str | None) -> str:
    event = str(payload.get("event"))
    price = f"**{view.currency.format(int(payload['price']))}**"
    due = deadline(int(payload["due_at"]))
    handle = handle_text(view)
    where = _where(guild_name)
    if event == "offer":
        return (
            f"Second chance: {handle}{where} was not paid for by the bidder before you, so "
            f"it is offered to you at your own highest bid, {price}. Accept by {due} to buy it "
            "(you then have the server's payment deadline to pay), or decline to let it go "
            "to the next bidder."
        )
    if event == "accepted":
        return (
            f"You accepted {handle}{where} at {price}. Please pay by {due}: a moderator "
            "confirms your payment, and the handle is yours once they do. Unpaid by then, it "
            "counts as an unpaid win against you."
        )
    if event == "paid":
        return f"Your payment of {price} for {handle}{where} is confirmed: the handle is yours."
    return f"News about {handle}{where}."


def audit_notice(payload: dict[str, Any], view: PublicAuction | None) -> str:  # noqa: PLR0911
    event = str(payload.get("event"))
    member = mention(int(payload["member_id"]))
    currency = view.currency if view is not None else Currency()
    price = currency.format(int(payload.get("price") or 0))
    handle = handle_text(view) if view is not None else safe_handle(str(payload.get("handle", "")))
    due = deadline(int(payload.get("due_at") or 0))
    reason = payload.get("reason")
    why = f" (reason: {safe(str(reason))})" if reason else ""
    lead = "**Settlement:**"
    if event == "sold":
        return (
            f"{lead} {handle} sold to {member} at {price}; payment due by {due}. "
            "Mark it paid with the button or `/auctioneer paid` once it arrives."
        )
    if event == "defaulted":
        count = int(payload.get("defaults") or 0)
        text = (
            f"{lead} {member} did not pay {price} for {handle} by the deadline: a default "
            f"({count} unpaid win{'s' if count != 1 else ''} on this server)."
        )
        if payload.get("barred"):
            text += " They are now barred from bidding here; `/auctioneer unbar` lifts it."
        return text
    if event == "offered":
        return (
            f"{lead} {handle} offered to {member} at {price} (second chance "
            f"#{payload.get('round')}), until {due}."
        )
    if event == "accepted":
        return (
            f"{lead} {member} accepted {handle} at {price}; payment due by {due}. "
            "Mark it paid with the button or `/auctioneer paid` once it arrives."
        )
    if event == "declined":
        return f"{lead} {member} declined the offer of {handle} at {price}."
    if event == "expired":
        return f"{lead} {member} did not answer the offer of {handle} in time."
    if event == "paid":
        return (
            f"{lead} {mention(int(payload['by']))} confirmed {member}'s payment of {price} "
            f"for {handle}: sold{why}."
        )
    if event == "unsold":
        text = f"{lead} {handle} is unsold: {safe(str(payload.get('why', '')))}."
        if payload.get("inventory"):
            text += " It is back in the inventory as available."
        return text
    if event == "unbarred":
        count = int(payload.get("defaults") or 0)
        return (
            f"{lead} {mention(int(payload['by']))} lifted the bar on {member} (after {count} "
            f"unpaid win{'s' if count != 1 else ''}); their count starts again at 0{why}."
        )
    return f"{lead} {handle}: {safe(event)}."


def paid_reply(handle: str, member_id: int, price: int, currency: Currency) -> str:
    return (
        f"Payment confirmed: {safe_handle(handle)} is sold to {mention(member_id)} at "
        f"{currency.format(price)}. The sold list shows them as its owner."
    )
