"""The discord.py ``AutoShardedBot`` subclass: receives the core built by ``bot.__main__`` and wires the
Discord side around it (cogs, the post's buttons, delivery, command sync, the error policy)."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
from typing import Any, Literal

import aiohttp
import discord  # noqa: TID251 - the Discord side's entry point
from discord.ext import commands  # noqa: TID251 - the Discord side's entry point

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core
from bot.clock import Clock
from bot.config import Config
from bot.interface.components import DYNAMIC_ITEMS, submit_bid_dialog
from bot.interface.directory import CachedDirectory
from bot.interface.errors import AuctionTree
from bot.interface.replies import mark_received
from bot.interface.settlement_components import SETTLEMENT_ITEMS
from bot.interface.wiring import Delivery, build_delivery
from bot.process_identity import process_name
from bot.scheduling import CloseScheduler

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.auctions", "cogs.auctioneer", "cogs.bids", "cogs.settings", "cogs.inventory",
    "cogs.handles", "cogs.wallet",
)  # fmt: skip
SyncMode = Literal["auto", "force", "only"]


class CommandSyncFailed(RuntimeError):
    """``python -m bot sync`` could not register the commands everywhere."""


class AuctionBot(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        config: Config,
        core: Core,
        scheduler: CloseScheduler,
        sync_mode: SyncMode = "auto",
    ) -> None:
        # Interactions carry the member and their roles, so no privileged intents are needed.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            # Nothing the bot sends pings anyone unless a message says so explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=AuctionTree,
            # Always given, so discord.py never asks Discord for a recommended count: with no
            # shard settings this is the one-shard bot, and with them each process runs
            # exactly the shards its operator gave it.
            shard_count=config.discord.total_shards,
            shard_ids=list(config.discord.shards),
        )
        self.config = config
        self.core = core
        self.house: AuctionHouse = core.house
        self.clock: Clock = core.clock
        self.scheduler = scheduler
        self.sync_mode: SyncMode = sync_mode
        self.delivery: Delivery | None = None
        self._dialogs: set[asyncio.Task[bool]] = set()  # bid dialog submissions being answered

    async def login(self, token: str) -> None:
        # discord.py's own connector has no limit (TCPConnector(limit=0)): in a burst every
        # answer in flight opens a new connection (a TLS handshake with the real Discord)
        # that is soon closed again, which costs the burst about a third of the bot's CPU. A
        # bounded pool per host keeps reusing warm ones. Per host, not in all: the gateway's
        # websocket holds its connection for its whole life, and a reconnect to the gateway's
        # own host must never queue behind REST requests to discord.com.
        self.http.connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=self.config.discord.http_connections
        )
        await super().login(token)

    async def setup_hook(self) -> None:
        if self.sync_mode == "only":
            for extension in EXTENSIONS:
                await self.load_extension(extension)
            failed = await self.sync_commands(force=True)
            if failed:
                raise CommandSyncFailed(
                    f"Discord refused the command sync for {', '.join(failed)}."
                )
            return
        # Several processes may each run some of the shards: the log says which, and where.
        log.info("starting %s", self.shards_text())
        discord_settings = self.config.discord
        if (
            discord_settings.processes == 1
            and len(discord_settings.shards) < discord_settings.total_shards
        ):
            # Other processes run the other shards, yet this one believes it is alone: at
            # start it would take over their outbox claims and the post editing.
            log.warning(
                "this process runs some of the %d shards, so others run the rest, but"
                " [discord].processes is 1: set it to how many processes share the token",
                discord_settings.total_shards,
            )
        self.house.settings.use_directory(CachedDirectory(self))
        # APScheduler's asyncio scheduler needs the running loop, which exists only now.
        self.scheduler.start()
        self.add_dynamic_items(*DYNAMIC_ITEMS, *SETTLEMENT_ITEMS)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.delivery = build_delivery(
            self,
            self.core,
            settings=self.config.outbox,
            post_edit_interval=self.config.discord.post_edit_interval.total_seconds(),
            requests_per_second=self.config.discord.requests_per_second,
            processes=self.config.discord.processes,
            process=process_name(),
        )
        await self.delivery.start()
        # Auctions first: a failing command sync must not keep overdue auctions open.
        overdue = await self.house.resume()
        log.info("auctions resumed (%d closed on start-up as overdue)", overdue)
        await self.delivery.posts.refresh_posts_behind()
        await self.sync_commands(force=self.sync_mode == "force")

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction":
            interaction: discord.Interaction[Any] = args[0]
            # discord.py dispatches this as it parses INTERACTION_CREATE, once it has queued
            # the command's or button's handler and before any of them runs: the moment of
            # receipt, which answer() counts Discord's 3 s from (with the interaction's own
            # timestamp).
            mark_received(interaction)
            if interaction.type is discord.InteractionType.modal_submit:
                # The bid dialog is answered from what was submitted, whichever process
                # opened it. Only dialogs get a task: an on_interaction listener would cost
                # one for every command and click of a burst.
                task = self.loop.create_task(submit_bid_dialog(interaction), name="bid-dialog")
                self._dialogs.add(task)
                task.add_done_callback(self._dialogs.discard)
        super().dispatch(event_name, *args, **kwargs)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        # Its channels and roles are known now: settings filtered before are read again.
        self.house.settings.forget(guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.house.settings.forget(guild.id)

    # -- command sync ---------------------------------------------------------------------

    def _fingerprint(self, guild: discord.abc.Snowflake | None) -> str:
        payload = sorted(
            (command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)),
            key=lambda c: str(c["name"]),
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> list[str]:
        """Sync to the configured guilds (instant), else globally; skip a scope whose command
        set has not changed since its last sync. A scope Discord refuses (the bot is not in
        that server, lacks the applications.commands scope, hit the daily limit...) is logged
        and left for the next start; the bot runs on. Returns the scopes that failed."""
        guild_ids = self.config.discord.guild_ids
        scopes: list[discord.Object | None] = (
            [discord.Object(id=g) for g in guild_ids] if guild_ids else [None]
        )
        memory = self.core.memory
        failed = []
        for guild in scopes:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            name = "global" if guild is None else f"guild:{guild.id}"
            # Keyed by application too: the same database run with another bot syncs anew.
            key = f"command-sync:{self.application_id}:{name}"
            fingerprint = self._fingerprint(guild)
            if not force and await memory.recall(key) == fingerprint:
                log.info("commands unchanged since the last sync to %s; not syncing", name)
                continue
            try:
                commands_synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                log.error(
                    "command sync to %s refused (%s %s): %s", name, exc.status, exc.code, exc.text
                )
                failed.append(name)
                continue
            await memory.remember(key, fingerprint)
            log.info("synced %d command(s) to %s", len(commands_synced), name)
        return failed

    def shards_text(self) -> str:
        """``shards 0,1 of 4, process host:pid``: what this process serves, for its log."""
        settings = self.config.discord
        shards = ",".join(str(shard) for shard in settings.shards)
        return f"shards {shards} of {settings.total_shards}, process {process_name()}"

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %d ready", shard_id, self.shard_count or 1)

    async def on_ready(self) -> None:
        user = self.user
        log.info(
            "logged in as %s (%s) in %d server(s), %s",
            user,
            user and user.id,
            len(self.guilds),
            self.shards_text(),
        )
        # What start-up built (modules, commands, the servers' cache) lives as long as the
        # bot: out of the collector's generations, the collections a burst of interactions
        # causes no longer walk all of it (measured by benchmarks.burst).
        gc.collect()
        gc.freeze()

    async def close(self) -> None:
        if self.is_closed():
            return
        log.info("shutting down")
        # No close job may start while the rest stops; the database finishes queued writes.
        self.scheduler.shutdown()
        if self.delivery is not None:
            await self.delivery.stop()
        await super().close()
