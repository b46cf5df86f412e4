"""What every command and button shares: who is acting, and answering within Discord's 3 seconds."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.auctions.house import AuctionHouse
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.errors import AuctionError
from bot.interactions import Handling, handling
from bot.process_identity import process_name

log = logging.getLogger(__name__)

# Discord kills an interaction whose first response has not reached it within 3 s of the
# interaction's creation (a late callback gets 404, code 10062).
RESPONSE_DEADLINE = 3.0
# What a response posted before the deadline is allowed for reaching Discord: its round trip
# and a busy event loop's delay in sending it. A reply not ready by
# RESPONSE_DEADLINE - DEFER_MARGIN (of the interaction's age) is deferred, and followed up.
DEFER_MARGIN = 0.5
# Discord's error code for an interaction whose token is no longer valid.
UNKNOWN_INTERACTION = 10062
# Discord's error code for a second initial response: here, another bot process received
# the same interaction (two sessions on one shard) and answered it first.
ALREADY_ACKNOWLEDGED = 40060
# The key in ``Interaction.extras`` of when the bot received the interaction (time.monotonic()).
RECEIVED_AT = "received_at"
# The key in ``Interaction.extras`` of its ``Handling``: whether its writes took effect here.
HANDLING = "handling"


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
    # Attached as files (name, bytes): made into discord.File when sent, as a File is read once.
    files: tuple[tuple[str, bytes], ...] = ()


async def send(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Answer the interaction, or follow up if it was already acknowledged.

    If another process acknowledged it first (it received the same interaction), the answer
    is whichever process's writes took effect: this one's goes out as a follow-up through the
    interaction's webhook (any process may use the token; after the other's defer it fills
    the "thinking" message); otherwise the other's answer stands and this one stays silent.
    """
    try:
        if interaction.response.is_done():
            await interaction.followup.send(**_message(reply))
        else:
            await interaction.response.send_message(**_message(reply))
    except discord.HTTPException as exc:
        if exc.code != ALREADY_ACKNOWLEDGED:
            raise
        if not took_effect(interaction):
            log.debug("interaction %s was answered by another process", interaction.id)
            return
        await interaction.followup.send(**_message(reply))


def _message(reply: Reply) -> dict[str, Any]:
    # Made anew for each attempt: a discord.File is read once.
    kwargs: dict[str, Any] = {
        "content": reply.content,
        "ephemeral": reply.ephemeral,
        "allowed_mentions": reply.allowed_mentions,
    }
    if reply.embed is not None:
        kwargs["embed"] = reply.embed
    if reply.view is not None:
        kwargs["view"] = reply.view
    if reply.files:
        kwargs["files"] = [
            discord.File(io.BytesIO(data), filename=name) for name, data in reply.files
        ]
    return kwargs


def took_effect(interaction: discord.Interaction[Any]) -> bool:
    """A write this interaction caused was applied by this process (see ``bot.interactions``)."""
    state = interaction.extras.get(HANDLING)
    return isinstance(state, Handling) and state.took_effect


def mark_received(interaction: discord.Interaction[Any]) -> None:
    """Note when the bot received ``interaction``: called as discord.py parses it from the
    gateway (``AuctionBot.dispatch``), before any handler of it runs."""
    interaction.extras.setdefault(RECEIVED_AT, time.monotonic())


def interaction_age(
    created_at: float, received_at: float | None, *, now: float, wall_now: float
) -> float:
    """Seconds since an interaction was created, from the earlier of two estimates of when:

    - ``created_at``: its snowflake's timestamp (unix seconds), read on this host's clock
      ``wall_now``. It counts the time the interaction spent on the way and waiting in the
      gateway socket behind a backlog, but it is Discord's clock: a host clock behind
      Discord's makes the interaction look younger than it is, one ahead makes it look older;
    - ``received_at``: when the bot parsed it (``time.monotonic()``, as ``now``). No clock
      skew, but it misses the time before the bot read it, so it never makes the interaction
      look older than it is.

    The older of the two is kept, so skew can only make the bot defer early, never late: a
    host clock behind Discord's is bounded by the moment of receipt. (A host clock more than
    3 s ahead of Discord's would make every interaction look expired, so nothing would be
    deferred; NTP keeps skew to milliseconds.)
    """
    age = wall_now - created_at
    if received_at is not None:
        age = max(age, now - received_at)
    return age


def defer_delay(
    age: float, *, deadline: float = RESPONSE_DEADLINE, margin: float = DEFER_MARGIN
) -> float | None:
    """How long the work for an interaction ``age`` seconds old may still run before the
    interaction is deferred: 0 to defer at once, None when it is too late for a defer.

    Past the deadline a defer cannot land in time any more than the reply can; the bot then
    waits for the reply and sends it as the one response. Discord may still take it (this
    host's estimate of the age errs on the old side), and it is one request where a defer
    and a follow-up would be two that both fail, each slowing the interactions behind it.
    """
    if age >= deadline:
        return None
    return max(0.0, deadline - margin - age)


def _age_of(interaction: discord.Interaction[Any]) -> float:
    received = interaction.extras.get(RECEIVED_AT)
    return interaction_age(
        interaction.created_at.timestamp(),
        received if isinstance(received, float) else None,
        now=time.monotonic(),
        wall_now=time.time(),
    )


def time_to_defer(interaction: discord.Interaction[Any]) -> float | None:
    """``defer_delay`` of this interaction now (see ``interaction_age``)."""
    return defer_delay(_age_of(interaction))


async def answer(interaction: discord.Interaction[Any], work: Awaitable[Reply]) -> None:
    """Run ``work`` and send its reply as the one response if it is ready in time; if it is
    slow, defer before Discord's deadline (counted from the interaction's creation, not from
    when this handler started) and follow up. Errors propagate to the error handler."""
    await respond_in_time(interaction, work, time_to_defer)


async def respond_in_time(
    interaction: discord.Interaction[Any],
    work: Awaitable[Reply],
    delay: Callable[[discord.Interaction[Any]], float | None],
) -> None:
    """``answer`` with the timing policy passed in: ``delay(interaction)`` is asked when the
    handler starts and again when the timer fires (the event loop may run it late).

    The work runs in this task; a timer defers on the side if it is still running then, so
    a reply that is ready in time costs no task or wait of its own (it matters in a burst).
    """
    loop = asyncio.get_running_loop()
    deferring: list[asyncio.Task[bool]] = []

    def defer_now() -> None:
        if not interaction.response.is_done() and delay(interaction) is not None:
            deferring.append(loop.create_task(_defer(interaction)))

    wait = delay(interaction)
    timer = None if wait is None else loop.call_later(wait, defer_now)
    # The work's writes are keyed by the interaction, so that a copy of it delivered to
    # another process too takes effect once (AlreadyHandled there).
    with handling(interaction.id, interaction.created_at) as state:
        interaction.extras[HANDLING] = state
        try:
            reply = await work
        finally:
            if timer is not None:
                timer.cancel()
            # A reply (or the error handler's) must follow the defer, not race it.
            alive = await deferring[0] if deferring else True
        if not alive:
            return  # the defer came too late, so would anything else; what the work did stands
        try:
            await send(interaction, reply)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_INTERACTION or interaction.response.is_done():
                raise
            _expired(interaction, "answered")


async def _defer(interaction: discord.Interaction[Any]) -> bool:
    """Defer; False if Discord says the interaction has expired."""
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.NotFound as exc:
        if exc.code != UNKNOWN_INTERACTION:
            raise
        _expired(interaction, "deferred")
        return False
    except discord.HTTPException as exc:
        if exc.code != ALREADY_ACKNOWLEDGED:
            raise
        # Another process answered it: the work goes on, and ``send`` decides whose answer
        # the member sees.
        log.debug("interaction %s was acknowledged by another process", interaction.id)
    return True


def _expired(interaction: discord.Interaction[Any], action: str) -> None:
    # The member saw "This interaction failed"; what the handler did (a bid) stands.
    log.warning(
        "interaction %s from %s expired before it could be %s (%.1f s after it was created)",
        interaction.id, interaction.user.id, action, _age_of(interaction),
    )  # fmt: skip


class HouseClient(Protocol):
    """What an interaction's handler needs of the bot (``AuctionBot`` is one): the use cases
    and the clock. A protocol, so this layer does not depend on the bot that uses it."""

    @property
    def house(self) -> AuctionHouse: ...

    @property
    def clock(self) -> Clock: ...


def served_by(interaction: discord.Interaction[Any]) -> str:
    """Which shard and process answered, for an operator running the bot as several
    processes (harmless for members to read: no ids, no secrets)."""
    count = interaction.client.shard_count or 1
    guild = interaction.guild
    shard = guild.shard_id if guild is not None else 0  # DMs come to shard 0
    return f"Served by shard {shard} of {count}, process {process_name()}"


def bot_of(interaction: discord.Interaction[Any]) -> HouseClient:
    client: HouseClient = interaction.client
    return client
