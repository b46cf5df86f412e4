"""Everything the bot says on its own: the outbox's messages (auction posts, outbid and winner
DMs, results, audit copies) and the live post's coalesced edits."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import discord
from discord.ext import commands

from bot.client import AuctionBot
from bot.delivery import OutboxDispatcher, PermanentDeliveryError
from bot.storage.outbox import MessageKind, OutboxMessage
from bot.views import AuctionView
from cogs import rendering
from cogs.buttons import post_buttons

log = logging.getLogger(__name__)

# Discord error codes this cog reacts to.
UNKNOWN_MESSAGE = 10008
OLD_MESSAGE_EDIT_LIMIT = 30046
# A failed post edit is tried again after this long, doubling up to the cap.
EDIT_RETRY_CAP = 300.0


class PostEditor:
    """Keeps each auction's post current with at most one edit per ``interval`` per auction.

    Every change marks the auction dirty; one worker per dirty auction waits out the interval
    and then renders the state as it is at that moment, so a burst of bids costs one edit and
    the latest state always lands. Edits of a post go one at a time: one held back by
    Discord's rate limit is never overtaken by an older rendering, and the next waits
    ``interval`` after it landed. A post Discord will no longer edit (deleted, or error
    30046 on old messages) is replaced by a fresh copy; a failed edit is tried again with
    backoff, except where the bot may no longer see or write in the channel.
    """

    def __init__(self, bot: AuctionBot, interval: float) -> None:
        self.bot = bot
        self.interval = interval
        self.edits = 0  # for logs and tests
        self._dirty: set[int] = set()
        self._last_edit: dict[int, float] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._failures: dict[int, int] = {}
        self._stopped = False

    def changed(self, auction_id: int) -> None:
        if self._stopped:
            return  # shutting down: the next start refreshes every open post
        self._dirty.add(auction_id)
        if auction_id not in self._workers:  # else the running worker renders this change too
            self._workers[auction_id] = asyncio.create_task(
                self._keep_current(auction_id), name=f"post-edit:{auction_id}"
            )

    async def stop(self) -> None:
        self._stopped = True
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def _keep_current(self, auction_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while auction_id in self._dirty:
                wait = self._last_edit.get(auction_id, float("-inf")) + self.interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                # A change from here on is rendered by the next round.
                self._dirty.discard(auction_id)
                still_open = True
                try:
                    still_open = await self.refresh(auction_id)
                    self._failures.pop(auction_id, None)
                except discord.Forbidden as exc:
                    log.warning("post of auction %s can't be updated: %s", auction_id, exc.text)
                except Exception as exc:
                    failures = self._failures[auction_id] = self._failures.get(auction_id, 0) + 1
                    delay = min(self.interval * 2**failures, EDIT_RETRY_CAP)
                    log.warning(
                        "could not update the post of auction %s; trying again in %.0fs",
                        auction_id, delay,
                        # Discord's refusals are expected; anything else gets its traceback.
                        exc_info=not isinstance(exc, discord.HTTPException),
                    )  # fmt: skip
                    self._dirty.add(auction_id)
                    await asyncio.sleep(delay)
                if still_open:
                    self._last_edit[auction_id] = loop.time()
                else:
                    self._last_edit.pop(auction_id, None)
        finally:
            # No await between the loop's last look at _dirty and this: a later change
            # starts a new worker.
            self._workers.pop(auction_id, None)

    async def refresh(self, auction_id: int) -> bool:
        """Bring the post up to date now; whether the auction is still open."""
        view = await self.bot.service.get_by_id(auction_id)
        if view.message_id is None or view.channel_id is None:
            # Not posted yet: the post will show the state as it is when it goes out.
            return view.is_open
        channel = _channel(self.bot, view.channel_id)
        currency = self.bot.config.auctions.currency
        try:
            await channel.get_partial_message(view.message_id).edit(
                embed=rendering.auction_embed(view, currency), view=post_buttons(view)
            )
            self.edits += 1
        except discord.HTTPException as exc:
            if exc.code not in {UNKNOWN_MESSAGE, OLD_MESSAGE_EDIT_LIMIT} and exc.status != 404:
                raise
            log.warning(
                "post of auction %s can't be edited (%s); posting a fresh copy", view.id, exc.code
            )
            message = await channel.send(
                embed=rendering.auction_embed(view, currency), view=post_buttons(view)
            )
            await self.bot.service.record_post(view.id, channel.id, message.id)
        return view.is_open


def _channel(bot: AuctionBot, channel_id: int) -> discord.PartialMessageable:
    """A channel to send to or edit in, without a fetch: Discord's answer tells if it is gone."""
    return bot.get_partial_messageable(channel_id)


class Announcements(commands.Cog):
    """Implements the outbox's ``Sender``: one method per kind of message."""

    def __init__(self, bot: AuctionBot) -> None:
        self.bot = bot
        self.currency = bot.config.auctions.currency
        interval = bot.config.discord.post_edit_interval.total_seconds()
        self.posts = PostEditor(bot, interval)
        self.dispatcher = OutboxDispatcher(
            bot.db, self, clock=bot.clock, settings=bot.config.outbox
        )
        self._refresh_task: asyncio.Task[None] | None = None
        self._nonce_prefix = ""

    async def cog_load(self) -> None:
        if self.bot.sync_mode == "only":
            return  # `python -m bot sync` registers the commands and leaves: nothing to send
        self._nonce_prefix = await self._database_nonce_prefix()
        self.bot.service.on_change(self.posts.changed)
        self.bot.service.on_outbox(self.dispatcher.wake)
        self.dispatcher.start()
        self._refresh_task = asyncio.create_task(self._refresh_open_posts())

    async def cog_unload(self) -> None:
        await self.dispatcher.stop()
        await self.posts.stop()
        if self._refresh_task is not None:
            self._refresh_task.cancel()

    async def _refresh_open_posts(self) -> None:
        """After a restart, bring every open auction's post up to date once (an edit that was
        waiting when the bot stopped is not lost)."""
        for auction_id in await self.bot.service.open_auction_ids():
            self.posts.changed(auction_id)

    # -- the Sender interface ----------------------------------------------------------------

    async def deliver(self, message: OutboxMessage) -> None:
        # Only REST is used here (no cache), so delivery need not wait for the gateway.
        handler = {
            MessageKind.AUCTION_OPENED: self._post_auction,
            MessageKind.OUTBID: self._dm_outbid,
            MessageKind.AUCTION_CLOSED: self._announce_result,
            MessageKind.WINNER_NOTICE: self._dm_winner,
            MessageKind.AUCTION_CANCELLED: self._announce_cancellation,
            MessageKind.MODERATOR_ACTION: self._copy_to_audit,
        }[message.kind]
        try:
            await handler(message)
        except discord.HTTPException as exc:
            # A 4xx other than a rate limit (which discord.py waits out) will not change on a
            # retry: missing access or permissions, unknown channel, DMs closed, bad request.
            if 400 <= exc.status < 500 and exc.status != 429:
                raise PermanentDeliveryError(f"{exc.status} {exc.code}: {exc.text}") from exc
            raise

    async def _database_nonce_prefix(self) -> str:
        """A random id of this database, so two databases (staging and production on one
        token, or a database started afresh) never reuse each other's nonces."""
        prefix = await self.bot.service.remembered("nonce-prefix")
        if prefix is None:
            prefix = secrets.token_hex(4)
            await self.bot.service.remember("nonce-prefix", prefix)
        return prefix

    def _nonce(self, message: OutboxMessage) -> str:
        # Discord drops a second message with the same nonce sent within a few minutes
        # (enforce_nonce), so a redelivery after a crash between sending and marking
        # delivered is not doubled. At most 25 characters.
        return f"o{self._nonce_prefix}-{message.id}"

    async def _auction(self, message: OutboxMessage) -> AuctionView:
        assert message.auction_id is not None
        return await self.bot.service.get_by_id(message.auction_id)

    async def _post_auction(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.message_id is not None:
            return  # already posted (an earlier delivery got this far)
        if view.channel_id is None:
            raise PermanentDeliveryError(f"auction {view.id} has no channel to be posted in")
        channel = _channel(self.bot, view.channel_id)
        posted = await channel.send(
            embed=rendering.auction_embed(view, self.currency),
            view=post_buttons(view),
            nonce=self._nonce(message),
        )
        await self.bot.service.record_post(view.id, posted.channel.id, posted.id)
        log.info("auction %s posted in channel %s", view.id, posted.channel.id)
        # Bids that came in while the post was on its way are shown by the next edit.
        self.posts.changed(view.id)

    async def _dm_outbid(self, message: OutboxMessage) -> None:
        user_id = int(message.payload["user_id"])
        if not await self.bot.service.wants_outbid_dms(message.guild_id, user_id):
            return
        view = await self._auction(message)
        if not view.is_open or view.leader_id == user_id:
            return  # the news is stale: they lead again, or it is over
        link = None
        if view.channel_id and view.message_id:
            link = (
                f"https://discord.com/channels/{view.guild_id}/{view.channel_id}/{view.message_id}"
            )
        await self._dm(user_id, rendering.outbid_dm(view, self.currency, link), message)
        log.info("auction %s: outbid DM sent to %s", view.id, user_id)

    async def _dm_winner(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.winner_id is None:
            return
        guild = self.bot.get_guild(view.guild_id)
        text = rendering.winner_dm(view, self.currency, guild.name if guild else None)
        await self._dm(view.winner_id, text, message)
        log.info("auction %s: winner DM sent to %s", view.id, view.winner_id)

    async def _dm(self, user_id: int, text: str, message: OutboxMessage) -> None:
        # A member who does not accept DMs answers 403 (50007): permanent, see deliver().
        channel = await self.bot.create_dm(discord.Object(id=user_id))
        await channel.send(text, nonce=self._nonce(message))

    async def _announce_result(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.channel_id is None:
            return
        channel = _channel(self.bot, view.channel_id)
        winner = view.winner_id
        await channel.send(
            rendering.closed_announcement(view, self.currency),
            # Pings the winner and nobody else.
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(id=winner)] if winner else False
            ),
            nonce=self._nonce(message),
        )
        log.info("auction %s: result announced (%s)", view.id, view.outcome)
        self.posts.changed(view.id)

    async def _announce_cancellation(self, message: OutboxMessage) -> None:
        view = await self._auction(message)
        if view.channel_id is None:
            return
        channel = _channel(self.bot, view.channel_id)
        reason = str(message.payload.get("reason", ""))
        await channel.send(
            rendering.cancelled_announcement(view, reason), nonce=self._nonce(message)
        )
        log.info("auction %s: cancellation announced", view.id)
        self.posts.changed(view.id)

    async def _copy_to_audit(self, message: OutboxMessage) -> None:
        channel_id = self.bot.config.discord.audit_channel_id
        if channel_id is None:
            return
        # One config serves every server the bot is in: copy only to an audit channel of the
        # server where the action happened, never into another server's.
        await self.bot.wait_until_ready()
        audit_channel = self.bot.get_channel(channel_id)
        guild = getattr(audit_channel, "guild", None)
        if guild is None or guild.id != message.guild_id:
            return
        payload: dict[str, Any] = message.payload
        await _channel(self.bot, channel_id).send(
            rendering.audit_line(payload), nonce=self._nonce(message)
        )


async def setup(bot: AuctionBot) -> None:
    await bot.add_cog(Announcements(bot))
