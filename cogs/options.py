"""Typed slash-command options shared by the cogs: Discord checks what it can, and every value
is checked again by the core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
from discord import app_commands

from bot.domain.durations import parse_duration
from bot.domain.handles import handle_key
from bot.interface import rendering
from bot.interface.replies import bot_of, guild_id_of

# Discord's integer options stop at 2**53; the configured maximum is enforced by the bot.
DISCORD_MAX_INTEGER = 2**53 - 1
Amount = app_commands.Range[int, 1, DISCORD_MAX_INTEGER]
HandleText = app_commands.Range[str, 1, 64]
Reason = app_commands.Range[str, 1, 300]
# Discord hides these commands from members without Manage Server until an admin grants them
# to a role in Server Settings > Integrations; the bot checks on every call all the same.
MANAGE_SERVER = discord.Permissions(manage_guild=True)


class DurationTransformer(app_commands.Transformer):
    """``90s``, ``10m``, ``2h``, ``3d``, ``1h30m`` -> timedelta. Its errors reach the user."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> timedelta:
        return parse_duration(value)


Duration = app_commands.Transform[timedelta, DurationTransformer]


async def open_auction_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete: the server's open auctions whose handle contains what was typed."""
    if interaction.guild_id is None:
        return []
    bot = bot_of(interaction)
    typed = handle_key(current)
    now = bot.clock.now()
    choices = []
    # Discord shows at most 25; only those are read from the database.
    for view in await bot.house.open_matching(guild_id_of(interaction), typed, 25):
        price = rendering.price_text(view)
        left = max(int((view.ends_at - now).total_seconds()), 0)
        name = f"@{view.handle.display} · {price} · ends in {_short(left)}"
        choices.append(app_commands.Choice(name=name[:100], value=view.handle.display))
    return choices


def _short(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
