"""``python -m bot [--config PATH] [run|sync]``: the composition root.

Loads the config, opens and migrates the database, builds the scheduler and the service,
hands them to the bot, and runs it until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence

import discord

from bot.client import AuctionBot, SyncMode
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from bot.scheduling import CloseScheduler
from bot.service import AuctionService
from bot.storage.database import Database

log = logging.getLogger("bot")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Run the handle auction bot."
    )
    parser.add_argument(
        "--config", default="config.toml", help="path to the TOML config (default: config.toml)"
    )
    parser.add_argument(
        "--sync",
        action="store_true",
        help="sync the slash commands at start-up even if they did not change",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("run", "sync"),
        default="run",
        help="run the bot (default), or sync the slash commands and exit",
    )
    return parser.parse_args(argv)


async def run(config: Config, *, sync_mode: SyncMode = "auto") -> None:
    """Build everything and run the bot until it is closed."""
    clock = SystemClock()
    path = config.database.path
    try:
        db = await Database.open(path, synchronous=config.database.synchronous)
    except (OSError, sqlite3.Error) as exc:
        raise RuntimeError(f"cannot open the database {path}: {exc}") from exc
    scheduler = CloseScheduler()
    service = AuctionService(
        db,
        clock=clock,
        reminders=scheduler,
        settings=config.auctions,
        handles=config.handles,
        access=config.access,
    )
    bot = AuctionBot(
        config=config, db=db, service=service, scheduler=scheduler, clock=clock, sync_mode=sync_mode
    )
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()

    def stop(signame: str) -> None:
        log.info("received %s", signame)
        task = asyncio.create_task(bot.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)
    try:
        async with bot:
            if sync_mode == "only":
                await bot.login(config.discord.token)  # setup_hook syncs, then we leave
            else:
                await bot.start(config.discord.token)
    finally:
        scheduler.shutdown()
        await db.close()
        log.info("stopped cleanly")


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    logging.getLogger("discord").setLevel(logging.WARNING)
    # discord.py warns at start-up that voice support is missing; this bot has no voice.
    logging.getLogger("discord.client").setLevel(logging.ERROR)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mode: SyncMode = "only" if args.command == "sync" else ("force" if args.sync else "auto")
    try:
        asyncio.run(run(config, sync_mode=mode))
    except discord.LoginFailure:
        print(
            "error: Discord refused the bot token; check DISCORD_TOKEN (or [discord].token).",
            file=sys.stderr,
        )
        return 1
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
