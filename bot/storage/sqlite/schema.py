"""Numbered ``.sql`` migrations, applied in one transaction; the version lives in ``PRAGMA user_version``."""

from __future__ import annotations

import logging
import sqlite3

from bot.ports import StartupError
from bot.storage.sql.migrations import Migration, bundled

log = logging.getLogger(__name__)


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/storage/sqlite/migrations``, in order."""
    return bundled("bot.storage.sqlite")


def migrate(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date. Returns the schema version. Runs on an autocommit connection."""
    migrations = bundled_migrations() if migrations is None else migrations
    current: int = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise StartupError(
            f"The database is at schema version {current}, newer than this bot knows ({latest}). "
            "Upgrade the bot, or point it at another database file."
        )
    pending = [m for m in migrations if m.version > current]
    if not pending:
        return current
    conn.execute("BEGIN IMMEDIATE")
    try:
        for migration in pending:
            log.info("Applying migration %s", migration.name)
            # executescript would COMMIT first; run statement by statement to stay atomic.
            for statement in _statements(migration.sql):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {pending[-1].version:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return pending[-1].version


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers contain ``;`` inside BEGIN...END)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        statements.append(buffer.strip())
    return statements
