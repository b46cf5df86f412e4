"""Delivers the outbox's messages on Discord (the ``Sender`` port): one method per kind.

Only REST is used (no cache), so delivery need not wait for the gateway; each message
carries a nonce made of a random id of the database and the outbox id, so Discord drops a
repeat sent after a crash between sending and recording it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable
from typing import Any

import discord

from bot.auctions.house import AuctionHouse
from bot.auctions.read_models import PublicAuction
from bot.delivery.failures import DeliveryFailed, Failure
from bot.domain.messages import OutboxMessage
from bot.interface import rendering, settlement_rendering, stock_rendering
from bot.interface.components import post_buttons
from bot.interface.failures import as_delivery_failure
from bot.interface.settlement_components import offer_buttons, paid_button
from bot.memory import BotMemory

log = logging.getLogger(__name__)

NONCE_PREFIX_KEY = "nonce-prefix"


class DiscordSender:
    def __init__(self, bot: discord.Client, house: AuctionHouse, memory: BotMemory) -> None:
        self._bot = bot
        self._house = house
        self._memory = memory
        self._nonce_prefix = ""

    async def start(self) -> None:
        """A random id of this database, so two databases (staging and production on one
        token, or a database started afresh) never reuse each other's nonces."""
        prefix = await self._memory.recall(NONCE_PREFIX_KEY)
        if prefix is None:
            prefix = secrets.token_hex(4)
            await self._memory.remember(NONCE_PREFIX_KEY, prefix)
        self._nonce_prefix = prefix

    def _nonce(self, message: OutboxMessage) -> str:
        # Discord drops a second message with the same nonce sent within a few minutes
        # (enforce_nonce). At most 25 characters.
        return f"o{self._nonce_prefix}-{message.id}"

    async def _call(self, request: Awaitable[Any]) -> Any:
        """Make a Discord call; a failure says whether a retry can help."""
        try:
            return await request
        except discord.HTTPException as exc:
            raise as_delivery_failure(exc) from exc

    async def _auction(self, message: OutboxMessage) -> PublicAuction:
        assert message.auction_id is not None
        return await self._house.get_by_id(message.auction_id)

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self._bot.get_partial_messageable(channel_id)

    async def post_auction(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.message_id is not None:
            return  # already posted (an earlier delivery got this far)
        if view.channel_id is None:
            raise DeliveryFailed(Failure.PERMANENT, f"auction {view.id} has no channel")
        channel = self._channel(view.channel_id)
        try:
            posted = await self._call(
                channel.send(
                    embed=rendering.auction_embed(view),
                    view=post_buttons(view),
                    nonce=self._nonce(message),
                )
            )
        except DeliveryFailed as exc:
            if exc.failure is Failure.GONE:
                await self._house.record_post_lost(view.id, "its channel was deleted")
            raise
        await self._house.record_post(view.id, posted.channel.id, posted.id)
        log.info("auction %s posted in channel %s", view.id, posted.channel.id)

    async def dm_outbid(self, message: OutboxMessage) -> None:
        user_id = int(message.payload["user_id"])
        if not await self._house.wants_outbid_dms(message.guild_id, user_id):
            return
        view = await self._auction(message)
        if not view.is_open or view.leader_id == user_id:
            return  # the news is stale: they lead again, or it is over
        link = None
        if view.channel_id and view.message_id and not view.post_lost:
            link = (
                f"https://discord.com/channels/{view.guild_id}/{view.channel_id}/{view.message_id}"
            )
        await self._dm(user_id, rendering.outbid_dm(view, link), message)
        log.info("auction %s: outbid DM sent to %s", view.id, user_id)

    async def dm_winner(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.winner_id is None:
            return
        guild = self._bot.get_guild(view.guild_id)
        due_at = message.payload.get("due_at")  # pledge mode: the payment deadline
        then = settlement_rendering.winner_payment_line(int(due_at)) if due_at else None
        text = rendering.winner_dm(view, guild.name if guild else None, then)
        await self._dm(view.winner_id, text, message)
        log.info("auction %s: winner DM sent to %s", view.id, view.winner_id)

    async def _dm(
        self,
        user_id: int,
        text: str,
        message: OutboxMessage,
        view: discord.ui.View | None = None,
    ) -> None:
        # A member who does not accept DMs answers 403 (50007): permanent.
        channel = await self._call(self._bot.create_dm(discord.Object(id=user_id)))
        if view is None:
            await self._call(channel.send(text, nonce=self._nonce(message)))
        else:
            await self._call(channel.send(text, view=view, nonce=self._nonce(message)))

    async def settlement_dm(self, message: OutboxMessage) -> None:
        """Pledge mode: a second-chance offer (with Accept and Decline), an acceptance, a
        confirmed payment."""
        view = await self._auction(message)
        user_id = int(message.payload["user_id"])
        guild = self._bot.get_guild(view.guild_id)
        text = settlement_rendering.member_dm(message.payload, view, guild.name if guild else None)
        offer = message.payload.get("event") == "offer"
        buttons = offer_buttons(int(message.payload["step_id"])) if offer else None
        await self._dm(user_id, text, message, buttons)
        log.info(
            "auction %s: settlement DM (%s) sent to %s",
            view.id,
            message.payload.get("event"),
            user_id,
        )

    async def settlement_notice(self, message: OutboxMessage) -> None:
        """Pledge mode: a settlement's step, to the audit channel; a sale waiting for its
        payment carries a Mark paid button."""
        view = await self._auction(message) if message.auction_id is not None else None
        text = settlement_rendering.audit_notice(message.payload, view)
        buttons = None
        if message.payload.get("event") in ("sold", "accepted"):
            buttons = paid_button(int(message.payload["step_id"]))
        await self._to_audit_channel(message, text, buttons)

    async def announce_result(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.channel_id is None or view.post_lost:
            return
        winner = view.winner_id
        await self._call(
            self._channel(view.channel_id).send(
                rendering.closed_announcement(view),
                # Pings the winner and nobody else.
                allowed_mentions=discord.AllowedMentions(
                    everyone=False,
                    roles=False,
                    users=[discord.Object(id=winner)] if winner else False,
                ),
                nonce=self._nonce(message),
            )
        )
        log.info("auction %s: result announced (%s)", view.id, view.outcome)

    async def announce_cancellation(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.channel_id is None or view.post_lost:
            return
        reason = str(message.payload.get("reason", ""))
        await self._call(
            self._channel(view.channel_id).send(
                rendering.cancelled_announcement(view, reason), nonce=self._nonce(message)
            )
        )
        log.info("auction %s: cancellation announced", view.id)

    async def copy_to_audit(self, message: OutboxMessage) -> None:
        text = rendering.audit_line(message.payload)
        await self._to_audit_channel(message, text)
        # A change of the audit channel itself is also told where copies went until now.
        previous = message.payload.get("previous_audit_channel_id")
        if previous:
            settings = await self._house.settings_for(message.guild_id)
            if int(previous) != settings.audit_channel_id:
                await self._call(
                    self._channel(int(previous)).send(text, nonce=self._nonce(message) + "p")
                )

    async def announce_drop(self, message: OutboxMessage) -> None:
        channel_id = message.payload.get("channel_id")
        if not channel_id:
            return  # no channel to announce in: the drop's auctions are posted as they start
        await self._call(
            self._channel(int(channel_id)).send(
                stock_rendering.drop_announcement(message.payload),
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=self._nonce(message),
            )
        )
        log.info("drop %s announced", message.payload.get("drop_id"))

    async def send_house_notice(self, message: OutboxMessage) -> None:
        await self._to_audit_channel(message, rendering.house_notice(message.payload))

    async def _to_audit_channel(
        self, message: OutboxMessage, text: str, view: discord.ui.View | None = None
    ) -> None:
        # The server's own audit channel, as its settings say now; the settings keep only
        # channels of that server, so a copy never lands in another server's channel.
        await self._bot.wait_until_ready()
        settings = await self._house.settings_for(message.guild_id)
        if settings.audit_channel_id is None:
            return
        channel = self._channel(settings.audit_channel_id)
        if view is None:
            await self._call(channel.send(text, nonce=self._nonce(message)))
        else:
            await self._call(channel.send(text, view=view, nonce=self._nonce(message)))
