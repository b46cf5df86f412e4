"""``python -m bot inventory import FILE --guild ID``: the inventory import from the operator's
shell, with the same checks and report as ``/inventory import``.

It opens the database beside a running bot (SQLite lets one write at a time; the import is
one transaction, so the bot waits for it at most that long) and needs no Discord token. The
report goes next to the file (``FILE.report.csv``) unless ``--report`` says where.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.auctions.stock import ImportReport
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from bot.domain.access import Actor
from bot.domain.errors import AuctionError
from bot.domain.inventory_csv import MAX_BYTES
from bot.messagebus import MessageBus
from bot.ports import StartupError
from bot.scheduling import CloseScheduler
from bot.storage.factory import open_store

SHOWN_REFUSALS = 10


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot inventory",
        description="Manage a server's inventory of handles from the shell.",
    )
    parser.add_argument("--config", default="config.toml", help="the bot's TOML config")
    commands = parser.add_subparsers(dest="command", required=True)
    imports = commands.add_parser(
        "import", help="add handles from a CSV file (handle,starting_bid,reserve,buy_now,tags,note)"
    )
    imports.add_argument("file", type=Path, help="the CSV file (UTF-8, a header row)")
    imports.add_argument("--guild", type=int, required=True, help="the server's id")
    imports.add_argument(
        "--report", type=Path, help="where to write the report (default: FILE.report.csv)"
    )
    imports.add_argument(
        "--by", type=int, default=0, help="the Discord id recorded in the audit log as importing"
    )
    imports.add_argument(
        "--override", action="store_true", help="also add brand names (needs --reason)"
    )
    imports.add_argument("--reason", help="why brand names are added; goes into the audit log")
    return parser.parse_args(argv)


async def import_file(config: Config, args: argparse.Namespace, data: bytes) -> ImportReport:
    store = await open_store(config.database, legacy_currency=config.server.currency)
    try:
        bus = MessageBus()
        store.publish_to(bus.publish)
        core = build_core(
            store, bus, clock=SystemClock(), timer=CloseScheduler(), defaults=config.server
        )
        # The operator acts as an admin of the server: the shell is theirs.
        actor = Actor(user_id=args.by, manages_guild=True)
        return await core.house.stock.import_csv(
            args.guild, actor, data, override=args.override, why=args.reason,
            source=f"the shell ({args.file.name})",
        )  # fmt: skip
    finally:
        await store.close()


def main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    try:
        config = load_config(args.config, require_token=False)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path: Path = args.file
    try:
        if path.stat().st_size > MAX_BYTES:
            print(f"error: {path} is larger than {MAX_BYTES // 1_048_576} MB.", file=sys.stderr)
            return 1
        data = path.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(import_file(config, args, data))
    except AuctionError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    target: Path = args.report or path.with_name(path.name + ".report.csv")
    target.write_bytes(report.report_csv)
    print(f"{report.added:,} handle(s) added, {report.refused:,} refused; report: {target}")
    refused = [line for line in report.lines if line.result == "refused"]
    for line in refused[:SHOWN_REFUSALS]:
        print(f"  row {line.number}: {line.reason}")
    if len(refused) > SHOWN_REFUSALS:
        print(f"  ...and {len(refused) - SHOWN_REFUSALS:,} more in the report")
    return 0
