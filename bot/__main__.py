"""``python -m bot [--config PATH] [--shard-count N] [--shard-ids IDS] [run|sync]``: the
composition root (``python -m bot sandbox``: the bot against a loopback Discord, see
``bot.sandbox.cli``; ``python -m bot inventory import FILE --guild ID``: see
``bot.inventory_cli``; ``python -m bot report --guild ID --out FILE``: see
``bot.report_cli``; ``python -m bot migrate-db --from sqlite:///PATH --to
postgresql://...``: see ``bot.migrate_db_cli``).

Loads the config, opens and migrates the database, builds the core (use cases, events,
close timer) and hands it to the bot, which adds the Discord side and runs until Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from collections.abc import Sequence

import aiohttp
import discord  # noqa: TID251 - the Discord side's entry point

from bot import words
from bot.bootstrap import build_core
from bot.client import AuctionBot, CommandSyncFailed, SyncMode
from bot.clock import SystemClock
from bot.config import TOKEN_ENV, Config, ConfigError, load_config, with_shards
from bot.messagebus import MessageBus
from bot.ports import StartupError
from bot.scheduling import CloseScheduler
from bot.storage.factory import open_store

log = logging.getLogger("bot")

EPILOG = f"""\
The bot token comes from the {TOKEN_ENV} environment variable (or [discord].token in the
config file). The config file (default ./config.toml) holds every other setting: copy
config.example.toml, which documents each key. `python -m bot sandbox --help`: try the bot
in the browser against a local Discord, with no token. `python -m bot inventory import FILE
--guild ID`: add handles to a server's inventory from a CSV file. `python -m bot report
--guild ID --period 30d --out FILE`: a server's revenue report as CSV. `python -m bot migrate-db
--from sqlite:///PATH --to postgresql://USER@HOST:PORT/DB`: move everything from SQLite to an
empty PostgreSQL database (stop the bot first). Exit codes: 0 stopped, 1 could not start or
run (one line says why), 2 the config is unusable."""


def _shard_count(text: str) -> int:
    if not re.fullmatch(r"\s*[0-9]+\s*", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _shard_ids(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",")]
    if not all(re.fullmatch(r"[0-9]+", part) for part in parts):
        raise argparse.ArgumentTypeError(
            f"must be shard numbers separated by commas, e.g. 0,1; not {text!r}"
        )
    return [int(part) for part in parts]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Run the handle auction bot.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        "--shard-count",
        type=_shard_count,
        metavar="N",
        help="the total number of shards across every process (overrides [discord].shard_count)",
    )
    parser.add_argument(
        "--shard-ids",
        type=_shard_ids,
        metavar="IDS",
        help="the shards this process runs, e.g. 0,1 (overrides [discord].shard_ids; needs a "
        "shard count)",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("run", "sync"),
        default="run",
        help="run the bot (default), or sync the slash commands and exit",
    )
    return parser.parse_args(argv)


# Seconds a process trusts its copy of a server's settings when processes share a database.
SHARED_SETTINGS_KEEP_FOR = 5.0


async def run(config: Config, *, sync_mode: SyncMode = "auto") -> None:
    """Build everything and run the bot until it is closed."""
    clock = SystemClock()
    bus = MessageBus()
    store = await open_store(
        config.database,
        publish=bus.publish,
        legacy_currency=config.server.currency,
        # Two bots on one SQLite file would answer every interaction twice. `sync` answers
        # none, so it may run next to the bot. (PostgreSQL is for several processes.)
        exclusive=sync_mode != "only",
    )
    scheduler = CloseScheduler()
    core = build_core(
        store, bus, clock=clock, timer=scheduler, defaults=config.server, start_timer=scheduler,
        step_timer=scheduler,
        # Other processes may change a server's settings on PostgreSQL: trust a copy 5 s.
        settings_keep_for=SHARED_SETTINGS_KEEP_FOR if config.database.postgres_url else None,
    )  # fmt: skip
    bot = AuctionBot(config=config, core=core, scheduler=scheduler, sync_mode=sync_mode)
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()
    # The word list behind valuations takes ~0.4 s to load: on a thread, while the bot connects,
    # so the first valuation a moderator asks for does not stall the event loop.
    warming = asyncio.create_task(asyncio.to_thread(words.warm), name="word-list")

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
    except aiohttp.ClientConnectionError as exc:
        raise StartupError(
            f"cannot reach Discord ({exc}); check this machine's network connection, DNS and "
            "any proxy (HTTPS_PROXY), then start the bot again"
        ) from exc
    finally:
        scheduler.shutdown()
        await store.close()
        await asyncio.wait({warming})
    log.info("stopped cleanly")


def _tool(argv: list[str]) -> int | None:
    """Run ``sandbox``, ``inventory``, ``report`` or ``migrate-db`` if asked for (None: run
    the bot). None of them needs a token."""
    if argv[:1] == ["sandbox"]:
        # The sandbox needs no config; it runs this same entry point as a child.
        from bot.sandbox.cli import main as sandbox  # noqa: PLC0415 - only for this command

        return sandbox(argv[1:])
    config = argv[:2] if argv[:1] == ["--config"] else []
    if argv[len(config) : len(config) + 1] == ["inventory"]:
        from bot.inventory_cli import main as inventory  # noqa: PLC0415 - only for this command

        return inventory(config + argv[len(config) + 1 :])
    if argv[len(config) : len(config) + 1] == ["report"]:
        from bot.report_cli import main as report  # noqa: PLC0415 - only for this command

        return report(config + argv[len(config) + 1 :])
    if argv[len(config) : len(config) + 1] == ["migrate-db"]:
        from bot.migrate_db_cli import main as migrate_db  # noqa: PLC0415 - only for this command

        return migrate_db(config + argv[len(config) + 1 :])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    tool = _tool(argv)
    if tool is not None:
        return tool
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
        config = with_shards(
            load_config(args.config), shard_count=args.shard_count, shard_ids=args.shard_ids
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in config.notes:
        log.warning("%s", note)
    mode: SyncMode = "only" if args.command == "sync" else ("force" if args.sync else "auto")
    try:
        asyncio.run(run(config, sync_mode=mode))
    except discord.LoginFailure:
        print(
            f"error: Discord refused the bot token; check {TOKEN_ENV} (or [discord].token).",
            file=sys.stderr,
        )
        return 1
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except CommandSyncFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
