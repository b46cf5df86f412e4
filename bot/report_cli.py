"""``python -m bot report --guild ID [--period 30d] --out FILE [--chart FILE.png]``: the
revenue report of ``/auctioneer report`` from the operator's shell, as CSV (see
``bot.domain.report_csv`` for its sections), and optionally its chart as a PNG.

It reads the configured database beside a running bot (read only) and needs no Discord
token. Exit codes: 0 written, 1 the database or a file could not be used, 2 bad arguments or
an unusable config; each refusal is one line.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot import report_chart
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from bot.domain.report import Period, Report
from bot.domain.report_csv import report_csv
from bot.messagebus import MessageBus
from bot.ports import StartupError
from bot.scheduling import CloseScheduler
from bot.storage.factory import open_store

MAX_ID = 2**63 - 1  # Discord ids are 64-bit snowflakes


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other refusal of ``python -m bot``; --help has the usage.
        self.exit(2, f"error: {message} (python -m bot report --help says more)\n")


def _guild_id(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,19}", text.strip()) or not 0 < int(text) <= MAX_ID:
        raise argparse.ArgumentTypeError(
            f"must be the server's id, a whole number like 123456789012345678; not {text!r}"
        )
    return int(text)


def _period(text: str) -> Period:
    try:
        return Period(text.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Period)
        raise argparse.ArgumentTypeError(f"must be one of {choices}; not {text!r}") from None


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m bot report",
        description="Write a server's revenue report (the figures of /auctioneer report) as CSV.",
    )
    parser.add_argument("--config", default="config.toml", help="the bot's TOML config")
    parser.add_argument("--guild", type=_guild_id, required=True, help="the server's id")
    parser.add_argument(
        "--period",
        type=_period,
        default=Period.MONTH,
        metavar="{7d,30d,90d,all}",
        help="the last 7, 30 or 90 days (UTC, today included), or all time (default: 30d)",
    )
    parser.add_argument("--out", type=Path, required=True, help="where to write the CSV")
    parser.add_argument("--chart", type=Path, help="also write the chart there, as a PNG")
    return parser.parse_args(argv)


async def make_report(config: Config, guild_id: int, period: Period) -> Report:
    store = await open_store(config.database, legacy_currency=config.server.currency)
    try:
        core = build_core(
            store, MessageBus(), clock=SystemClock(), timer=CloseScheduler(), defaults=config.server
        )
        return await core.house.reports.for_guild(guild_id, period)
    finally:
        await store.close()


def _write(path: Path, data: bytes) -> str | None:
    """None once written; else why not, in a few words."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    try:
        config = load_config(args.config, require_token=False)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    database = config.database
    if not database.postgres_url and not database.path.exists():
        # Opening it would make an empty database, and a report of nothing.
        print(
            f"error: there is no database at {database.path}; check [database] path in "
            f"{args.config}",
            file=sys.stderr,
        )
        return 1
    try:
        report = asyncio.run(make_report(config, args.guild, args.period))
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problem = _write(args.out, report_csv(report))
    if problem is None and args.chart is not None:
        problem = _write(args.chart, report_chart.render(report))
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    print(
        f"{report.period.label.capitalize()} on server {report.guild_id}: "
        f"{report.closed:,} closed, {report.sold:,} sold, revenue "
        f"{report.currency.format(report.sales.revenue)} from {report.sales.sales:,} sale(s); "
        f"CSV: {args.out}" + (f", chart: {args.chart}" if args.chart else "")
    )
    return 0
