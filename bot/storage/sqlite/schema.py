"""Numbered ``.sql`` migrations, applied in one transaction; the version lives in ``PRAGMA user_version``."""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from bot.ports import StartupError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/storage/sqlite/migrations``, in order."""
    found = []
    for entry in resources.files("bot.storage.sqlite").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"Migrations must be numbered 0001, 0002, ... without gaps: {found}")
    return found


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
