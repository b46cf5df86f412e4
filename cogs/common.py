"""What every cog shares: who is acting, answering within Discord's 3 seconds, and errors."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.domain.access import Actor
from bot.domain.errors import AuctionError
from bot.domain.text import quote

if TYPE_CHECKING:
    from bot.client import AuctionBot

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


def bot_of(interaction: discord.Interaction[Any]) -> AuctionBot:
    client: AuctionBot = interaction.client
    return client


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """The one error handler: a domain error becomes an ephemeral answer written for the user;
    anything else is logged with its traceback and the user gets an apology with an id."""
    cause = _unwrap(error)
    if isinstance(cause, AuctionError):
        log.info("refused %s from %s: %s", _what(interaction), interaction.user.id, cause.message)
        text = cause.message
    elif isinstance(cause, app_commands.CheckFailure):
        text = str(cause) or "You can't use this command here."
    elif isinstance(cause, app_commands.TransformerError):
        text = f"`{quote(str(cause.value))}` isn't a valid value for that option."
    else:
        error_id = secrets.token_hex(4)
        log.error(
            "error %s in %s from %s", error_id, _what(interaction), interaction.user.id,
            exc_info=(type(cause), cause, cause.__traceback__),
        )  # fmt: skip
        text = (
            # Not "nothing changed": the error may come after a bid was committed.
            "Sorry, something went wrong on our side. If it keeps happening, tell a moderator "
            f"the error id `{error_id}`."
        )
    try:
        await send(interaction, Reply(content=text))
    except discord.HTTPException:
        log.warning(
            "could not tell %s about an error: the interaction expired", interaction.user.id
        )


def _unwrap(error: BaseException) -> BaseException:
    """The error the user's request actually ran into (commands and transformers wrap it)."""
    seen = error
    while True:
        inner = getattr(seen, "original", None) or (
            seen.__cause__ if isinstance(seen, app_commands.AppCommandError) else None
        )
        if inner is None or inner is seen:
            return seen
        seen = inner


def _what(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id", interaction.type.name))
