"""Keeps each auction's live post current, with at most one edit per interval per auction."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import discord

from bot.auctions.house import AuctionHouse
from bot.auctions.read_models import PublicAuction
from bot.delivery.failures import Failure
from bot.delivery.leases import LeaseKeeper
from bot.delivery.pacing import RequestPace
from bot.interface import rendering
from bot.interface.components import post_buttons
from bot.interface.failures import classify, describe

log = logging.getLogger(__name__)

# A failed post edit is tried again after this long, doubling up to the cap.
EDIT_RETRY_CAP = 300.0
# Posts brought up to date after a restart are edited this many at a time, so a backlog of
# them never crowds out the edits that bids cause.
CATCH_UP_AT_ONCE = 20
# Where several processes run, one at a time keeps the posts current: whoever holds this.
LEASE_NAME = "post-editor"
LEASE = timedelta(seconds=30)


class PostEditor:
    """Every change marks the auction dirty; one worker per dirty auction waits out the
    interval and then renders the state as it is at that moment, so a burst of bids costs
    one edit and the latest state always lands. Edits of a post go one at a time: one held
    back by Discord's rate limit is never overtaken by an older rendering, and the next waits
    ``interval`` after it landed.

    What a failed edit means is decided by ``classify``: an outage or rate limit is tried
    again with backoff; a post Discord will no longer edit (deleted, or error 30046 on old
    messages) is replaced by a fresh copy; a channel that is gone marks the post lost (the
    audit channel is told once, and the post is never tried again); any other refusal
    (missing access, a bad request) is logged and not repeated until the next change.

    With a ``lease``, posts are edited only while this process holds it: another process
    holding it edits them (it finds the changes made here in ``posts_behind``), and once
    that one dies and its lease runs out, this one takes over and catches up.
    """

    def __init__(
        self,
        bot: discord.Client,
        house: AuctionHouse,
        interval: float,
        *,
        pace: RequestPace | None = None,
        lease: LeaseKeeper | None = None,
    ) -> None:
        self._bot = bot
        self._lease = lease
        self._pace = pace
        self._house = house
        self.interval = interval
        self.edits = 0  # for logs and tests
        self._dirty: set[int] = set()
        self._last_edit: dict[int, float] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._failures: dict[int, int] = {}
        self._stopped = False
        self._catch_up: asyncio.Task[None] | None = None
        self._worker_done = asyncio.Event()

    @property
    def editing(self) -> bool:
        """Whether this process keeps the posts current (it holds the lease, if there is one)."""
        return not self._stopped and (self._lease is None or self._lease.held)

    def changed(self, auction_id: int) -> None:
        if self._stopped:
            return  # shutting down: the next start refreshes every open post
        if not self.editing:
            return  # the process holding the lease shows it (the post is behind until then)
        self._dirty.add(auction_id)
        if auction_id not in self._workers:  # else the running worker renders this change too
            self._workers[auction_id] = asyncio.create_task(
                self._keep_current(auction_id), name=f"post-edit:{auction_id}"
            )

    async def stop(self) -> None:
        self._stopped = True
        if self._catch_up is not None:
            self._catch_up.cancel()
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def refresh_posts_behind(self) -> int:
        """After a restart, bring up to date the posts that missed a change (an edit that was
        waiting when the bot stopped is not lost), a few at a time in the background. Returns
        how many there are. Also how a lease holder finds the changes other processes made,
        and what one that takes the lease over catches up on."""
        if not self.editing:
            return 0
        if self._catch_up is not None and not self._catch_up.done():
            return 0  # the running catch-up's posts come first; the next look finds the rest
        behind = await self._house.posts_behind()
        if behind:
            log.info("bringing %d post(s) up to date", len(behind))
            self._catch_up = asyncio.create_task(self._catch_up_on(behind), name="post-catch-up")
        return len(behind)

    async def _catch_up_on(self, auction_ids: list[int]) -> None:
        for auction_id in auction_ids:
            while len(self._workers) >= CATCH_UP_AT_ONCE:
                self._worker_done.clear()
                await self._worker_done.wait()
            self.changed(auction_id)

    async def _keep_current(self, auction_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while auction_id in self._dirty:
                wait = self._last_edit.get(auction_id, float("-inf")) + self.interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                # A change from here on is rendered by the next round.
                self._dirty.discard(auction_id)
                if not self.editing:
                    return  # the lease was lost: its new holder edits this post
                still_open = True
                try:
                    still_open = await self.refresh(auction_id)
                    self._failures.pop(auction_id, None)
                except Exception as exc:
                    if await self._failed(auction_id, exc):
                        continue
                if still_open:
                    self._last_edit[auction_id] = loop.time()
                else:
                    self._last_edit.pop(auction_id, None)
        finally:
            # No await between the loop's last look at _dirty and this: a later change
            # starts a new worker.
            self._workers.pop(auction_id, None)
            self._worker_done.set()

    async def _failed(self, auction_id: int, exc: Exception) -> bool:
        """Act on a failed refresh; True if it is to be tried again."""
        failure = classify(exc)
        if failure is Failure.GONE:
            try:
                await self._house.record_post_lost(auction_id, "its channel was deleted")
                return False
            except Exception:  # e.g. the database is busy: try the whole refresh again
                log.exception("could not mark the post of auction %s lost", auction_id)
                failure = Failure.RETRY
        if failure is not Failure.RETRY:
            log.warning(
                "post of auction %s can't be updated (%s); not retrying", auction_id, describe(exc)
            )
            return False
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
        return True

    async def refresh(self, auction_id: int) -> bool:
        """Bring the post up to date now; whether the auction is still open."""
        view = await self._house.get_by_id(auction_id)
        if view.message_id is None or view.channel_id is None or view.post_lost:
            # Not posted yet (the post will show the state as it is when it goes out), or
            # its channel is gone.
            return view.is_open
        channel = self._bot.get_partial_messageable(view.channel_id)
        if self._pace is not None:
            await self._pace.acquire()
        try:
            await channel.get_partial_message(view.message_id).edit(
                embed=rendering.auction_embed(view), view=post_buttons(view)
            )
            self.edits += 1
            await self._post_current(view)
        except discord.HTTPException as exc:
            if classify(exc) is not Failure.REPLACE:
                raise
            log.warning(
                "post of auction %s can't be edited (%s); posting a fresh copy", view.id, exc.code
            )
            message = await channel.send(
                embed=rendering.auction_embed(view), view=post_buttons(view)
            )
            await self._house.record_post(view.id, channel.id, message.id)
            await self._post_current(view)
        return view.is_open

    async def _post_current(self, view: PublicAuction) -> None:
        try:
            await self._house.record_post_current(view.id, view.revision)
        except Exception:  # the edit landed; the worst case is one more edit after a restart
            log.exception("could not record that the post of auction %s is current", view.id)
