"""The auction post's buttons and the bid dialog. The buttons are ``DynamicItem``s: their
custom ids carry the auction id (and the quick bid's offered amount), so they keep working
after a restart; everything else is read from the database when clicked. A custom id is
typed by whoever made the message, so the core checks the auction and the server again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any, ClassVar

import discord

from bot.auctions.read_models import PublicAuction
from bot.domain.errors import BidTooLow
from bot.domain.money import Currency
from bot.interface import rendering
from bot.interface.errors import guarded
from bot.interface.replies import (
    Reply,
    actor_of,
    answer,
    bot_of,
    guild_id_of,
    send,
    served_by,
    time_to_defer,
)

log = logging.getLogger(__name__)

LATEST_BIDS_SHOWN = 5
# How long the Bid... button waits for the auction before opening a plain dialog.
DIALOG_READ_TIMEOUT = 1.5


class PostButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """Base of every persistent button: the one error policy wraps each click once."""

    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, custom_id: str, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=self.style, custom_id=custom_id, disabled=disabled)
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, lambda: self.clicked(interaction))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


PageButton = Callable[[str, int, bool], discord.ui.Item[Any]]


def pager(page: int, pages: int, button: PageButton) -> discord.ui.View | None:
    """Previous/Next under a paged list (None for a single page). ``button(direction, page,
    disabled)`` makes one; the page to show is in its custom id, so it survives a restart."""
    if pages <= 1:
        return None
    last = pages - 1
    view = discord.ui.View(timeout=None)
    view.add_item(button("previous", max(page - 1, 0), page == 0))
    view.add_item(button("next", min(page + 1, last), page >= last))
    return view


class QuickBidButton(
    PostButton, template=r"auction:(?P<id>[0-9]{1,20}):quick:(?P<amount>[0-9]{1,20})"
):
    """ "Bid 1,250": places exactly the amount on its label, the minimum when it was drawn."""

    style = discord.ButtonStyle.success

    def __init__(self, auction_id: int, amount: int, *, disabled: bool = False) -> None:
        self.auction_id = auction_id
        self.amount = amount
        super().__init__(
            f"auction:{auction_id}:quick:{amount}", f"Bid {amount:,}", disabled=disabled
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> QuickBidButton:
        return cls(int(match["id"]), int(match["amount"]))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, self._bid(interaction))

    async def _bid(self, interaction: discord.Interaction[Any]) -> Reply:
        house = bot_of(interaction).house
        guild_id = guild_id_of(interaction)
        try:
            receipt = await house.bid_on_auction(
                guild_id, actor_of(interaction), self.auction_id, self.amount
            )
        except BidTooLow as exc:
            # The label was drawn before someone else bid: say so rather than bid more.
            if exc.minimum is None:
                raise
            log.debug(
                "refused quick bid %s on auction %s from %s: the minimum is now %s",
                self.amount, self.auction_id, interaction.user.id, exc.minimum,
            )  # fmt: skip
            auction = await house.get_by_id(self.auction_id, guild_id=guild_id)
            return Reply(content=rendering.quick_bid_too_late(exc.minimum, auction.currency))
        return Reply(content=rendering.bid_reply(receipt))


class BidDialogButton(PostButton, template=r"auction:(?P<id>[0-9]{1,20}):bid"):
    """ "Bid...": opens a dialog asking for an amount and an optional secret maximum."""

    style = discord.ButtonStyle.primary

    def __init__(self, auction_id: int, *, disabled: bool = False) -> None:
        self.auction_id = auction_id
        super().__init__(f"auction:{auction_id}:bid", "Bid...", disabled=disabled)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> BidDialogButton:
        return cls(int(match["id"]))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        house = bot_of(interaction).house
        guild_id = guild_id_of(interaction)
        # A modal must be the first response (it cannot follow a defer): if the database
        # is slow to answer, open a plain dialog rather than let the interaction expire.
        # Counted from the click's arrival, like a defer: no later than a defer would go out.
        timeout = min(DIALOG_READ_TIMEOUT, time_to_defer(interaction) or 0.0)
        view: PublicAuction | None = None
        with contextlib.suppress(TimeoutError):
            view = await asyncio.wait_for(
                house.get_by_id(self.auction_id, interaction.user.id, guild_id=guild_id),
                timeout,
            )
        if view is not None and not view.is_open:
            await send(
                interaction,
                Reply(content=f"The auction for {rendering.handle_text(view)} has closed."),
            )
            return
        dialog = BidModal(self.auction_id, view)
        await interaction.response.send_modal(dialog)
        dialog.stop()  # the submission is handled by submit_bid_dialog (see BidModal)


class InfoButton(PostButton, template=r"auction:(?P<id>[0-9]{1,20}):info"):
    def __init__(self, auction_id: int) -> None:
        self.auction_id = auction_id
        super().__init__(f"auction:{auction_id}:info", "Info")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> InfoButton:
        return cls(int(match["id"]))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, info_reply(interaction, self.auction_id))


async def info_reply(interaction: discord.Interaction[Any], auction_id: int) -> Reply:
    house = bot_of(interaction).house
    guild_id = guild_id_of(interaction)
    view = await house.get_by_id(auction_id, interaction.user.id, guild_id=guild_id)
    bids = await house.bid_history(guild_id, limit=LATEST_BIDS_SHOWN, auction_id=auction_id)
    return Reply(embed=rendering.info_embed(view, bids, served_by=served_by(interaction)))


BID_DIALOG = re.compile(r"auction:(?P<id>[0-9]{1,20}):modal")


class BidModal(discord.ui.Modal):
    """The bid dialog as shown. Its submissions are handled by ``submit_bid_dialog`` from the
    submitted values alone, not by this object: discord.py keys open modals by custom id
    only, so members with the dialog open at once would share one object, closed for all
    by the first submission; and a dialog left open would stop working at a restart."""

    def __init__(self, auction_id: int, view: PublicAuction | None) -> None:
        title = "Place a bid" if view is None else f"Bid on @{view.handle.display}"
        currency = Currency() if view is None else view.currency
        super().__init__(
            title=title if len(title) <= 45 else title[:44] + "…",
            timeout=None,
            custom_id=f"auction:{auction_id}:modal",
        )
        self.amount: discord.ui.TextInput[BidModal] = discord.ui.TextInput(
            label=("Your bid" if view is None else f"Your bid ({currency.name})")[:45],
            custom_id="amount",
            placeholder=None if view is None else f"at least {view.minimum_bid:,}",
            max_length=24,
        )
        self.maximum: discord.ui.TextInput[BidModal] = discord.ui.TextInput(
            label="Secret maximum (optional)",
            custom_id="maximum",
            placeholder="the bot bids for you up to this amount",
            required=False,
            max_length=24,
        )
        self.add_item(self.amount)
        self.add_item(self.maximum)


def _submitted_values(components: list[dict[str, Any]]) -> dict[str, str]:
    """The text inputs' values of a modal submission, by custom id (in action rows or labels)."""
    values: dict[str, str] = {}
    for component in components:
        if "custom_id" in component and "value" in component:
            values[str(component["custom_id"])] = str(component["value"])
        children = list(component.get("components", []))
        if isinstance(component.get("component"), dict):
            children.append(component["component"])
        values.update(_submitted_values(children))
    return values


async def submit_bid_dialog(interaction: discord.Interaction[Any]) -> bool:
    """Handle a submission of a bid dialog; False if ``interaction`` is not one."""
    data: dict[str, Any] = dict(interaction.data or {})
    match = BID_DIALOG.fullmatch(str(data.get("custom_id", "")))
    if interaction.type is not discord.InteractionType.modal_submit or match is None:
        return False
    values = _submitted_values(list(data.get("components", [])))
    auction_id = int(match["id"])
    await guarded(
        interaction, lambda: answer(interaction, _bid_from_dialog(interaction, auction_id, values))
    )
    return True


async def _bid_from_dialog(
    interaction: discord.Interaction[Any], auction_id: int, values: dict[str, str]
) -> Reply:
    house = bot_of(interaction).house
    guild_id = guild_id_of(interaction)
    # The typed amounts are read in the auction's own currency (its name and maximum).
    currency = (await house.get_by_id(auction_id, guild_id=guild_id)).currency
    amount = currency.parse(values.get("amount", ""), "bid")
    typed_maximum = values.get("maximum", "")
    maximum = currency.parse(typed_maximum, "maximum") if typed_maximum.strip() else None
    receipt = await house.bid_on_auction(
        guild_id, actor_of(interaction), auction_id, amount, maximum
    )
    return Reply(content=rendering.bid_reply(receipt))


def post_buttons(view: PublicAuction) -> discord.ui.View:
    """The buttons under an auction post: live while open, disabled once closed."""
    buttons = discord.ui.View(timeout=None)
    closed = not view.is_open
    buttons.add_item(QuickBidButton(view.id, view.minimum_bid, disabled=closed))
    buttons.add_item(BidDialogButton(view.id, disabled=closed))
    buttons.add_item(InfoButton(view.id))
    return buttons


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    QuickBidButton,
    BidDialogButton,
    InfoButton,
)
