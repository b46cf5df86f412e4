"""/inventory: moderators keep the server's stock of handles. Discord shows it only to
members with Manage Server (and roles an admin grants it to); the core checks every call."""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.auctions.stock import Sort, StockPage
from bot.client import AuctionBot
from bot.domain.errors import InvalidInput
from bot.domain.inventory import ItemStatus
from bot.domain.inventory_csv import check_size
from bot.interface import rendering, stock_rendering
from bot.interface.components import PostButton, pager
from bot.interface.replies import Reply, actor_of, answer, bot_of, guild_id_of
from cogs.options import MANAGE_SERVER, HandleText, Reason

log = logging.getLogger(__name__)

StatusChoice = Literal["available", "scheduled", "in_auction", "sold", "withdrawn"]
_SEARCH = r"[a-z0-9_.]{0,32}"
_TAG = r"[a-z0-9_-]{0,24}"


class InventoryPageButton(
    PostButton,
    template=(
        r"inventory:(?P<direction>previous|next):(?P<page>[0-9]{1,6}):(?P<status>[a-z_]{0,10})"
        rf":(?P<sort>value|length|name):(?P<tag>{_TAG}):(?P<search>{_SEARCH})"
    ),
):
    """Previous/Next under /inventory list: the filters are in the custom id and the list is
    read again (and the member's permission checked again) on every click."""

    def __init__(
        self, direction: str, page: int, status: str, sort: str, tag: str, search: str,
        *, disabled: bool = False,
    ) -> None:  # fmt: skip
        self.page, self.status, self.sort, self.tag, self.search = page, status, sort, tag, search
        super().__init__(
            f"inventory:{direction}:{page}:{status}:{sort}:{tag}:{search}",
            direction.capitalize(),
            disabled=disabled,
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> InventoryPageButton:
        return cls(
            match["direction"], int(match["page"]), match["status"], match["sort"], match["tag"],
            match["search"],
        )  # fmt: skip

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        embed, pager = await inventory_page(
            interaction, self.page, self.status, self.sort, self.tag, self.search
        )
        await interaction.response.edit_message(embed=embed, view=pager)


def _status(text: str) -> ItemStatus | None:
    if not text:
        return None
    try:
        return ItemStatus(text)
    except ValueError:
        raise InvalidInput("That list is out of date: run /inventory list again.") from None


async def inventory_page(
    interaction: discord.Interaction[Any], page: int, status: str, sort: str, tag: str, search: str
) -> tuple[discord.Embed, discord.ui.View | None]:
    house = bot_of(interaction).house
    guild_id = guild_id_of(interaction)
    sort_by: Sort = "length" if sort == "length" else "name" if sort == "name" else "value"
    shown: StockPage = await house.stock.page(
        guild_id, actor_of(interaction), status=_status(status), search=search, tag=tag or None,
        sort=sort_by, page=page,
    )  # fmt: skip
    currency = (await house.settings_for(guild_id)).currency
    embed = stock_rendering.inventory_embed(shown, currency)
    return embed, pager(
        shown.page,
        shown.pages,
        lambda way, at, off: InventoryPageButton(
            way, at, status, sort_by, tag, search, disabled=off
        ),
    )


class Inventory(commands.Cog):
    inventory = app_commands.Group(
        name="inventory",
        description="The server's stock of handles to sell (moderators).",
        guild_only=True,
        default_permissions=MANAGE_SERVER,
    )

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(InventoryPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(InventoryPageButton)

    @inventory.command(name="import")
    async def import_(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        override: bool = False,
        reason: Reason | None = None,
    ) -> None:
        """Add handles from a CSV file: handle, starting_bid, reserve, buy_now, tags, note.

        Args:
            file: A CSV file with a header row; up to 10,000 rows.
            override: Also add handles on the brand list (needs a reason; audited).
            reason: Why brand names are added (with override).
        """

        async def work() -> Reply:
            actor = actor_of(interaction)
            guild_id = guild_id_of(interaction)
            # Who may import comes first, and the size Discord reports is checked before
            # anything is downloaded; the bytes read are checked again by the core.
            (await self.house.settings_for(guild_id)).access.require_moderator(actor)
            check_size(file.size)
            data = await file.read()
            report = await self.house.stock.import_csv(
                guild_id, actor, data, override=override, why=reason,
                source=f"`{rendering.safe(file.filename)[:60]}`",
            )  # fmt: skip
            return Reply(
                content=stock_rendering.import_summary(report),
                files=(("import-report.csv", report.report_csv),),
            )

        await answer(interaction, work())

    @inventory.command(name="list")
    async def list_items(
        self,
        interaction: discord.Interaction[Any],
        status: StatusChoice | None = None,
        search: app_commands.Range[str, 1, 32] | None = None,
        tag: app_commands.Range[str, 1, 24] | None = None,
        sort: Literal["value", "length", "name"] = "value",
    ) -> None:
        """The inventory, most valuable first (or by length or name).

        Args:
            status: Only handles in this state (default: all but withdrawn).
            search: Only handles containing this text.
            tag: Only handles with this tag.
            sort: value, length or name.
        """

        async def work() -> Reply:
            typed = (search or "").strip().lstrip("@").casefold()
            tag_key = (tag or "").strip().lower()
            if not re.fullmatch(_SEARCH, typed) or not re.fullmatch(_TAG, tag_key):
                raise InvalidInput(
                    "Search with letters, digits, _ and . only, and tags with letters, digits, "
                    "_ and -."
                )
            embed, pager = await inventory_page(interaction, 0, status or "", sort, tag_key, typed)
            return Reply(embed=embed, view=pager)

        await answer(interaction, work())

    @inventory.command(name="show")
    async def show(self, interaction: discord.Interaction[Any], handle: HandleText) -> None:
        """A handle's inventory entry and its valuation.

        Args:
            handle: The handle, e.g. @ogname.
        """

        async def work() -> Reply:
            guild_id = guild_id_of(interaction)
            details = await self.house.stock.show(guild_id, actor_of(interaction), handle)
            currency = (await self.house.settings_for(guild_id)).currency
            return Reply(embed=stock_rendering.item_embed(details, currency))

        await answer(interaction, work())

    @inventory.command(name="remove")
    async def remove(
        self, interaction: discord.Interaction[Any], handle: HandleText, reason: Reason
    ) -> None:
        """Withdraw an available handle from the inventory (audited).

        Args:
            handle: The handle to withdraw.
            reason: Why; goes into the audit log.
        """

        async def work() -> Reply:
            item = await self.house.stock.remove(
                guild_id_of(interaction), actor_of(interaction), handle, reason
            )
            return Reply(
                content=f"{rendering.safe_handle(item.handle.display)} is out of the inventory."
            )

        await answer(interaction, work())


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Inventory(bot))
