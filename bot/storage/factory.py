"""Opens the configured store: SQLite (the embedded default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.config import POSTGRES_SCHEMES, SQLITE_SCHEME, DatabaseSettings
from bot.domain.events import Event
from bot.domain.money import Currency
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore

Publish = Callable[[list[Event]], None]
DEFAULT_CURRENCY = Currency()


def _no_events(events: list[Event]) -> None:
    pass


async def open_store(
    settings: DatabaseSettings,
    *,
    publish: Publish = _no_events,
    legacy_currency: Currency = DEFAULT_CURRENCY,
    exclusive: bool = False,
) -> SqliteStore | PostgresStore:
    """``exclusive`` matters for SQLite only, which one process may use at a time; several
    processes sharing a PostgreSQL database is what it is for."""
    if settings.postgres_url:
        return await PostgresStore.open(
            settings.postgres_url, publish=publish, pool_size=settings.pool_size
        )
    return await SqliteStore.open(
        settings.path,
        synchronous=settings.synchronous,
        publish=publish,
        legacy_currency=legacy_currency,
        exclusive=exclusive,
    )


async def open_url(url: str, *, publish: Publish = _no_events) -> SqliteStore | PostgresStore:
    """The store at ``url`` (``sqlite:///path`` or ``postgresql://...``), with defaults."""
    if url.startswith(POSTGRES_SCHEMES):
        return await open_store(DatabaseSettings(postgres_url=url), publish=publish)
    return await open_store(DatabaseSettings(path=_sqlite_path(url)), publish=publish)


def _sqlite_path(url: str) -> Path:
    if not url.startswith(SQLITE_SCHEME):
        raise ValueError(f"not a database URL: {url!r}")
    return Path(url.removeprefix(SQLITE_SCHEME))
