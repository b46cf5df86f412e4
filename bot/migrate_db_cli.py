"""``python -m bot migrate-db --from sqlite:///old.db --to postgresql://user@host:port/db``:
a community's whole history moved from its SQLite file into an empty PostgreSQL database.

The bot must be stopped first (the file is refused while a bot holds it). The target must
be empty; the copy is one transaction, checked against the source before COMMIT. Exit
codes: 0 moved, 1 refused or failed (PostgreSQL is left as it was), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from bot.config import POSTGRES_SCHEMES, SQLITE_SCHEME, ConfigError, load_config
from bot.domain.money import Currency
from bot.ports import StartupError
from bot.storage.migrate_db import migrate_db
from bot.storage.postgres.store import safe_url
from bot.storage.transfer import CopyMismatch, Moved

DEFAULT_CONFIG = Path("config.toml")
FINISHED = (
    "PostgreSQL now holds everything; point [database] url (or DATABASE_URL) at it and start"
    " the bot."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other refusal of ``python -m bot``; --help has the usage.
        self.exit(2, f"error: {message} (python -m bot migrate-db --help says more)\n")


class BadArgument(Exception):
    """An argument that cannot be used; the message is one line."""


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m bot migrate-db",
        description=(
            "Move the whole history from a SQLite database into an empty PostgreSQL database."
            " Stop the bot first."
        ),
    )
    parser.add_argument(
        "--from", dest="source", required=True, metavar="sqlite:///PATH", help="the SQLite file"
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="postgresql://USER@HOST:PORT/DB",
        help="the PostgreSQL database (created and empty, or holding only the bot's schema)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the bot's config, for the currency of auctions listed before auctions kept their"
        " own (default: config.toml, if there is one)",
    )
    return parser.parse_args(argv)


def _sqlite_path(url: str) -> Path:
    if not url.startswith(SQLITE_SCHEME):
        raise BadArgument(
            f"--from must be a sqlite:/// URL (sqlite:///path/to/file.db), not {url!r}"
        )
    path = url.removeprefix(SQLITE_SCHEME)
    if not path or path == ":memory:":
        raise BadArgument("--from must name a SQLite file: sqlite:///path/to/file.db")
    return Path(path)


def _postgres_url(url: str) -> str:
    if not url.startswith(POSTGRES_SCHEMES):
        shown = safe_url(url) if "@" in url else url
        raise BadArgument(
            f"--to must be a postgresql:// URL (postgresql://user@host:port/db), not {shown!r}"
        )
    try:
        urlsplit(url).port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise BadArgument(f"--to is not a usable URL: {exc}") from None
    return url


def _legacy_currency(config: Path | None) -> Currency:
    if config is None and not DEFAULT_CONFIG.is_file():
        return Currency()
    return load_config(config or DEFAULT_CONFIG, require_token=False).server.currency


def report(moved: Moved) -> list[str]:
    """What was moved, a line per table, then where it went and what to do next."""
    width = max((len(name) for name, _ in moved.tables), default=0)
    lines = [f"  {name:<{width}}  {count:>12,} row(s)" for name, count in moved.tables]
    if moved.left_empty:
        lines.append(f"  (only in PostgreSQL, left empty: {', '.join(moved.left_empty)})")
    lines.append(
        f"Moved {moved.rows:,} row(s) in {len(moved.tables)} tables from {moved.source} to"
        f" {moved.target} in {moved.seconds:.1f} s."
    )
    lines.append(FINISHED)
    return lines


def main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    try:
        source = _sqlite_path(args.source)
        target = _postgres_url(args.target)
        currency = _legacy_currency(args.config)
    except (BadArgument, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        moved = asyncio.run(migrate_db(source, target, legacy_currency=currency))
    except CopyMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        for difference in exc.differences:
            print(f"  {difference}", file=sys.stderr)
        return 1
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in report(moved):
        print(line)
    return 0
