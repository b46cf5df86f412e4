"""The one error policy for commands, buttons and dialogs: a refusal written for the member
becomes an ephemeral answer; anything else is logged with its traceback and the member gets
an apology with an error id. ``AuctionTree`` applies it to every slash command (it is the
bot's ``tree_cls``); ``guarded`` applies it to a component's callback."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import AppCommandOptionType, app_commands

from bot.domain.errors import AlreadyHandled, AuctionError
from bot.domain.text import quote
from bot.interface.replies import ALREADY_ACKNOWLEDGED, Reply, send, took_effect

log = logging.getLogger(__name__)


class AuctionTree(app_commands.CommandTree[Any]):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


async def guarded(
    interaction: discord.Interaction[Any], work: Callable[[], Awaitable[None]]
) -> None:
    """Run a component's or dialog's handler under the error policy."""
    try:
        await work()
    except Exception as exc:
        await report_error(interaction, exc)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """The one error handler: a domain error becomes an ephemeral answer written for the user;
    anything else is logged with its traceback and the user gets an apology with an id."""
    cause = _unwrap(error)
    if isinstance(cause, AlreadyHandled) or (
        isinstance(cause, discord.HTTPException)
        and cause.code == ALREADY_ACKNOWLEDGED
        and not took_effect(interaction)
    ):
        # Another process received the same interaction and applied it (or answered it,
        # e.g. with the bid dialog): its answer is the member's, and this one stays silent.
        log.debug(
            "%s from %s was handled by another process", _what(interaction), interaction.user.id
        )
        return
    if isinstance(cause, AuctionError):
        # DEBUG like accepted bids: in a burst every refused bid would be a log line.
        log.debug("refused %s from %s: %s", _what(interaction), interaction.user.id, cause.message)
        text = cause.message
    elif isinstance(cause, app_commands.CheckFailure):
        text = str(cause) or "You can't use this command here."
    elif isinstance(cause, app_commands.TransformerError):
        text = (
            # discord.py resolves channels and roles from this server only.
            "That channel or role is not in this server: pick one of this server's."
            if cause.type in (AppCommandOptionType.channel, AppCommandOptionType.role)
            else f"`{quote(str(cause.value))}` isn't a valid value for that option."
        )
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
