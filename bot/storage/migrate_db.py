"""``migrate-db``: a SQLite database's whole history moved into an empty PostgreSQL database.

The SQLite file is held the way a bot holds it, so no bot can start on it and take a bid
that the copy would miss, and read as one snapshot; PostgreSQL gets it all in one
transaction, checked against the snapshot before COMMIT (see ``bot.storage.postgres.load``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.domain.money import Currency
from bot.storage.postgres.load import load
from bot.storage.sqlite.export import held, snapshot
from bot.storage.transfer import Moved

DEFAULT_CURRENCY = Currency()


async def migrate_db(
    sqlite_path: Path, postgres_url: str, *, legacy_currency: Currency = DEFAULT_CURRENCY
) -> Moved:
    """Copy the SQLite database at ``sqlite_path`` into the empty PostgreSQL database at
    ``postgres_url``. ``legacy_currency`` is what auctions listed before auctions kept their
    own currency were listed in (the configured one), as at the bot's start-up."""
    async with held(sqlite_path, legacy_currency=legacy_currency):
        # Both drivers block: the whole copy runs on one thread, which owns both connections.
        return await asyncio.to_thread(_copy, sqlite_path, postgres_url)


def _copy(sqlite_path: Path, postgres_url: str) -> Moved:
    with snapshot(sqlite_path) as source:
        return load(postgres_url, source)
