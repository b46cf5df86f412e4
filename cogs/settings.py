"""/settings: a server's admins configure the bot for their server. Discord shows it only to
members with Manage Server; the core checks every call itself."""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.auctions.server_settings import SettingChange, SettingLine
from bot.client import AuctionBot
from bot.domain.errors import InvalidInput
from bot.domain.payments import parse_tiers
from bot.domain.settings import (
    ALL_KEYS,
    AUCTION_CHANNEL,
    AUDIT_CHANNEL,
    BIDDER_ROLES,
    BRAND_HANDLES,
    MODERATOR_ROLES,
    RESERVED_HANDLES,
    SETTINGS,
    TRUST_TIERS,
    parse_ids,
    parse_names,
)
from bot.interface import rendering
from bot.interface.replies import Reply, actor_of, answer, guild_id_of
from cogs.options import MANAGE_SERVER, HandleText

log = logging.getLogger(__name__)

VALUE_KEYS = tuple(s.key for s in SETTINGS)
# More keys than the 25 choices Discord allows: completed as typed, and checked by the core.
SettingKey = app_commands.Range[str, 1, 64]


def _complete(keys: tuple[str, ...], typed: str) -> list[app_commands.Choice[str]]:
    needle = typed.strip().lower()
    return [app_commands.Choice(name=k, value=k) for k in keys if needle in k][:25]


async def value_keys(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return _complete(VALUE_KEYS, current)


async def all_keys(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return _complete(ALL_KEYS, current)


def shown(key: str, value: str) -> str:
    """A setting's value as Discord shows it: channels and roles as mentions that ping nobody."""
    if key in (AUCTION_CHANNEL, AUDIT_CHANNEL):
        return f"<#{value}>" if value else "none"
    if key in (MODERATOR_ROLES, BIDDER_ROLES):
        return ", ".join(f"<@&{r}>" for r in sorted(parse_ids(value))) or "none"
    if key == TRUST_TIERS:
        tiers = parse_tiers(value).tiers
        return "; ".join(f"above {t.amount:,}: <@&{t.role_id}>" for t in tiers) or "none"
    if key == RESERVED_HANDLES:
        names = sorted(parse_names(value))
        listed = ", ".join(rendering.safe_handle(n) for n in names[:40])
        return (listed + (f" and {len(names) - 40} more" if len(names) > 40 else "")) or "none"
    return f"`{value}`" if value else "none"


def settings_embed(lines: list[SettingLine]) -> discord.Embed:
    embed = discord.Embed(title="Settings for this server", colour=rendering.COLOUR_OPEN)
    groups: dict[str, list[str]] = {}
    for line in lines:
        mark = " *(default)*" if line.is_default else ""
        groups.setdefault(line.key.split(".")[0], []).append(
            f"**{line.key}**: {shown(line.key, line.value)}{mark}"
        )
    for group, entries in groups.items():
        embed.add_field(name=group.capitalize(), value="\n".join(entries)[:1024], inline=False)
    embed.set_footer(
        text="Change with /settings set, channel, role, reserved, brands or tiers; /settings reset goes back to the default."
    )
    return embed


def _list_change(key: str, old_text: str, new_text: str) -> tuple[list[str], list[str], int]:
    if key in (RESERVED_HANDLES, BRAND_HANDLES):
        old_names, new_names = parse_names(old_text), parse_names(new_text)
        added = [rendering.safe_handle(n) for n in sorted(new_names - old_names)]
        removed = [rendering.safe_handle(n) for n in sorted(old_names - new_names)]
        return added, removed, len(new_names)
    old_ids, new_ids = parse_ids(old_text), parse_ids(new_text)
    added = [f"<@&{r}>" for r in sorted(new_ids - old_ids)]
    removed = [f"<@&{r}>" for r in sorted(old_ids - new_ids)]
    return added, removed, len(new_ids)


def change_text(change: SettingChange) -> str:
    """What changed, kept short: a list setting says what was added or removed, not the
    whole list (which may be long), so the reply stays within Discord's 2,000 characters."""
    key = change.key
    if key in (MODERATOR_ROLES, BIDDER_ROLES, RESERVED_HANDLES, BRAND_HANDLES):
        added, removed, count = _list_change(key, change.old, change.new)
        what = (
            f"added {', '.join(added[:10])}"
            if added
            else f"removed {', '.join(removed[:10])}"
            if removed
            else "unchanged"
        )
        return f"**{key}**: {what} ({count} now)."
    text = (
        f"**{key}** changed from {shown(key, change.old)} to {shown(key, change.new)}. "
        "Running auctions keep the terms they started with."
    )
    return text if len(text) <= 1900 else text[:1899] + "…"


class Settings(commands.Cog):
    settings = app_commands.Group(
        name="settings",
        description="Configure the auction bot for this server (admins).",
        guild_only=True,
        default_permissions=MANAGE_SERVER,
    )

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.house = bot.house

    @settings.command(name="show")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Every setting of this server, and which are the bot's defaults."""

        async def work() -> Reply:
            lines = await self.house.show_settings(guild_id_of(interaction), actor_of(interaction))
            return Reply(embed=settings_embed(lines))

        await answer(interaction, work())

    @settings.command(name="set")
    @app_commands.autocomplete(key=value_keys)
    async def set_value(
        self,
        interaction: discord.Interaction[Any],
        key: SettingKey,
        value: app_commands.Range[str, 1, 100],
    ) -> None:
        """Change a setting: currency, handle rules, bidding and duration rules.

        Args:
            key: The setting to change.
            value: Its new value, e.g. gems, 5%, 2m, generic.
        """

        async def work() -> Reply:
            change = await self.house.set_setting(
                guild_id_of(interaction), actor_of(interaction), key, value
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())

    @settings.command(name="reset")
    @app_commands.autocomplete(key=all_keys)
    async def reset(self, interaction: discord.Interaction[Any], key: SettingKey) -> None:
        """Put a setting back to the bot's default.

        Args:
            key: The setting to reset.
        """

        async def work() -> Reply:
            change = await self.house.reset_setting(
                guild_id_of(interaction), actor_of(interaction), key
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())

    @settings.command(name="channel")
    async def channel(
        self,
        interaction: discord.Interaction[Any],
        which: Literal["auction", "audit"],
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Set where auctions are posted, or where moderator actions are copied.

        Args:
            which: auction (where /auctioneer start posts) or audit (copies of every moderator action).
            channel: The channel; leave it out for none.
        """

        async def work() -> Reply:
            change = await self.house.set_channel(
                guild_id_of(interaction),
                actor_of(interaction),
                which,
                channel.id if channel is not None else None,
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())

    @settings.command(name="role")
    async def role(
        self,
        interaction: discord.Interaction[Any],
        action: Literal["add", "remove"],
        kind: Literal["moderators", "bidders"],
        role: discord.Role,
    ) -> None:
        """Add or remove a moderator role, or a bidder role (with bidder roles, only they may bid).

        Args:
            action: add or remove.
            kind: moderators (may run auctions) or bidders (may bid; none set: everyone may).
            role: The role.
        """

        async def work() -> Reply:
            change = await self.house.change_roles(
                guild_id_of(interaction), actor_of(interaction), kind, role.id, add=action == "add"
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())

    @settings.command(name="reserved")
    async def reserved(
        self,
        interaction: discord.Interaction[Any],
        action: Literal["add", "remove"],
        handle: HandleText,
    ) -> None:
        """Add a handle to the reserved list (never auctioned), or take it off.

        Args:
            action: add or remove.
            handle: The handle, e.g. @admin.
        """

        async def work() -> Reply:
            change = await self.house.change_reserved(
                guild_id_of(interaction), actor_of(interaction), handle, add=action == "add"
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())

    @settings.command(name="brands")
    async def brands(
        self,
        interaction: discord.Interaction[Any],
        action: Literal["add", "remove", "list"],
        handle: HandleText | None = None,
    ) -> None:
        """The brand list: brand and famous names are listed only with a moderator's override.

        Args:
            action: add, remove or list.
            handle: The brand name, e.g. @nike (for add and remove).
        """

        async def work() -> Reply:
            guild_id = guild_id_of(interaction)
            if action == "list":
                lines = await self.house.show_settings(guild_id, actor_of(interaction))
                stored = next(line.value for line in lines if line.key == BRAND_HANDLES)
                names = sorted(parse_names(stored))
                shown = ", ".join(rendering.safe_handle(n) for n in names[:100])[:1800]
                more = f" and {len(names) - 100} more" if len(names) > 100 else ""
                return Reply(
                    content=f"Brand list ({len(names)}): {shown}{more}"
                    if names
                    else "The brand list is empty: `/settings brands add` adds a name."
                )
            if handle is None:
                raise InvalidInput(f"Name the brand to {action}, e.g. handle:@nike.")
            change = await self.house.change_reserved(
                guild_id, actor_of(interaction), handle, add=action == "add", brands=True
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())

    @settings.command(name="tiers")
    async def tiers(
        self,
        interaction: discord.Interaction[Any],
        action: Literal["add", "remove", "list"],
        amount: app_commands.Range[int, 1] | None = None,
        role: discord.Role | None = None,
    ) -> None:
        """Trust tiers: bids (and secret maximums) above an amount need a role.

        Args:
            action: add (or replace the tier at that amount), remove, or list.
            amount: Bids above this amount need the role (for add and remove).
            role: The role those bids need, e.g. Verified (for add).
        """

        async def work() -> Reply:
            guild_id = guild_id_of(interaction)
            if action == "list":
                lines = await self.house.show_settings(guild_id, actor_of(interaction))
                stored = next(line.value for line in lines if line.key == TRUST_TIERS)
                if not parse_tiers(stored).tiers:
                    return Reply(
                        content="No trust tiers: any member may bid any amount. "
                        "`/settings tiers add amount role` adds one."
                    )
                return Reply(content=f"Trust tiers: {shown(TRUST_TIERS, stored)}.")
            if amount is None:
                raise InvalidInput(f"Give the tier's amount to {action}, e.g. amount:10000.")
            change = await self.house.change_tiers(
                guild_id,
                actor_of(interaction),
                amount,
                role.id if role is not None else None,
                add=action == "add",
            )
            return Reply(content=change_text(change))

        await answer(interaction, work())


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Settings(bot))
