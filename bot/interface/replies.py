"""What every command and button shares: who is acting, and answering within Discord's 3 seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.auctions.house import AuctionHouse
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.errors import AuctionError

log = logging.getLogger(__name__)

# Discord kills an interaction not acknowledged within 3 s; past this, defer and follow up.
DEFER_AFTER = 2.0


class GuildOnly(AuctionError):
    """Used outside a server."""


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """The member as the bot sees them: id, roles and Manage Server computed from the
    guild's roles by discord.py, not only what Discord's command permissions allowed."""
    user = interaction.user
    if not isinstance(user, discord.Member):
        return Actor(user_id=user.id)
    return Actor(
        user_id=user.id,
        role_ids=frozenset(role.id for role in user.roles),
        # From the cached roles, or Discord's own computation when the server is not cached.
        manages_guild=user.guild_permissions.manage_guild or interaction.permissions.manage_guild,
    )


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise GuildOnly("Auctions happen in servers: use this command in one.")
    return interaction.guild_id


@dataclass(slots=True)
class Reply:
    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    ephemeral: bool = True
    allowed_mentions: discord.AllowedMentions = field(default_factory=discord.AllowedMentions.none)


async def send(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Answer the interaction, or follow up if it was already acknowledged."""
    kwargs: dict[str, Any] = {
        "content": reply.content,
        "ephemeral": reply.ephemeral,
        "allowed_mentions": reply.allowed_mentions,
    }
    if reply.embed is not None:
        kwargs["embed"] = reply.embed
    if reply.view is not None:
        kwargs["view"] = reply.view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def answer(interaction: discord.Interaction[Any], work: Awaitable[Reply]) -> None:
    """Run ``work`` and send its reply. If it is slow, acknowledge first so the
    interaction cannot expire; errors propagate to the error handler."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    await send(interaction, await task)


class HouseClient(Protocol):
    """What an interaction's handler needs of the bot (``AuctionBot`` is one): the use cases
    and the clock. A protocol, so this layer does not depend on the bot that uses it."""

    @property
    def house(self) -> AuctionHouse: ...

    @property
    def clock(self) -> Clock: ...


def bot_of(interaction: discord.Interaction[Any]) -> HouseClient:
    client: HouseClient = interaction.client
    return client
