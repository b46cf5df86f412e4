"""PostgreSQL's numbered migrations (``bot/storage/postgres/migrations``), with the version in
the ``schema_migrations`` table. Several processes starting together each call ``migrate``:
a transaction-level advisory lock makes them take turns, so each migration runs once and the
others find it applied. DDL is transactional in PostgreSQL, so a failed migration leaves the
schema as it was."""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from bot.ports import StartupError
from bot.storage.sql.migrations import Migration, bundled

log = logging.getLogger(__name__)

# Any constant the bot's processes agree on ("auct" in ASCII); held until the transaction ends.
MIGRATION_LOCK = 0x61756374


def bundled_migrations() -> list[Migration]:
    return bundled("bot.storage.postgres")


def migrate(conn: psycopg.Connection[Any], migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; returns its version. ``conn`` is in autocommit mode."""
    migrations = bundled_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        current: int = row[0] if row else 0
        if current > latest:
            raise StartupError(
                f"The database is at schema version {current}, newer than this bot knows"
                f" ({latest}). Upgrade the bot, or point it at another database."
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            log.info("Applying migration %s", migration.name)
            # No parameters: psycopg sends the whole file as one simple query.
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
        return max(current, latest)


def version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0
