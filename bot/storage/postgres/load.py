"""The PostgreSQL side of ``migrate-db``: everything a ``Source`` holds, copied into an empty
database in one transaction that also migrates it and checks the copy before COMMIT. A
refusal or a failed check rolls it all back, so the target is either as it was or holds the
whole history."""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from bot.storage.postgres.schema import migrate
from bot.storage.postgres.store import safe_url
from bot.storage.transfer import (
    CHECKS,
    CopyMismatch,
    Moved,
    Source,
    Table,
    TargetNotEmpty,
    TransferError,
    copy_order,
)

# The bookkeeping of migrations, not data: migrate() fills it.
NOT_DATA = frozenset({"schema_migrations"})
# Counters that belong to no column: each must restart past the largest value it gave out.
COUNTERS = {"auction_revisions": ("auctions", "revision")}
# Rows a server-side cursor fetches at a time while the copy is compared with its source.
FETCH = 5_000
# How many differing rows are shown per table: the first ones say what went wrong.
SHOWN = 3
CONNECT_TIMEOUT = 10  # seconds


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    text: bool  # compared in byte order, as SQLite does
    identity: bool  # GENERATED ... AS IDENTITY
    serial: bool  # a default from a sequence it owns


def load(url: str, source: Source) -> Moved:
    """Copy ``source`` into the (empty) database at ``url``; raise ``TransferError`` saying
    why not, or ``CopyMismatch`` if what was copied differs from ``source``."""
    started = time.monotonic()
    target = safe_url(url)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        raise TransferError(f"cannot connect to {target}: {_said(exc, url)}") from exc
    with conn:
        try:
            with conn.transaction():
                moved, left_empty = _copy_all(conn, source, target)
        except psycopg.Error as exc:
            raise TransferError(
                f"the copy into {target} failed, so nothing was committed: {_said(exc, url)}"
            ) from exc
    return Moved(source.name, target, moved, left_empty, time.monotonic() - started)


def _copy_all(
    conn: psycopg.Connection[Any], source: Source, target: str
) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...]]:
    migrate(conn)  # a savepoint of this transaction: a refusal undoes it too
    columns = _columns(conn)
    # Nobody else writes while the copy runs; readers may look.
    conn.execute(
        sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
            sql.SQL(", ").join(sql.Identifier(name) for name in sorted(columns))
        )
    )
    occupied = [(name, n) for name in sorted(columns) if (n := _count(conn, name))]
    if occupied:
        raise TargetNotEmpty(target, occupied)
    tables = _plan(source.tables(), columns, _parents(conn))
    moved = tuple((table.name, _copy(conn, source, table)) for table in tables)
    _restart_counters(conn, tables, columns)
    differences = _differences(conn, source, tables, columns)
    if differences:
        raise CopyMismatch(differences)
    copied = {table.name for table in tables}
    return moved, tuple(sorted(name for name in columns if name not in copied))


def _columns(conn: psycopg.Connection[Any]) -> dict[str, dict[str, _Column]]:
    """Every data table of the target with its columns."""
    found: dict[str, dict[str, _Column]] = {}
    for table, column, data_type, identity, default in conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_identity, c.column_default"
        " FROM information_schema.columns c JOIN information_schema.tables t"
        " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    ):
        if table in NOT_DATA:
            continue
        text = data_type in ("text", "character varying", "character")
        serial = str(default or "").startswith("nextval(")
        found.setdefault(table, {})[column] = _Column(column, text, identity == "YES", serial)
    return found


def _parents(conn: psycopg.Connection[Any]) -> dict[str, frozenset[str]]:
    parents: dict[str, set[str]] = {}
    for child, parent in conn.execute(
        "SELECT child.relname, parent.relname FROM pg_constraint k"
        " JOIN pg_class child ON child.oid = k.conrelid"
        " JOIN pg_class parent ON parent.oid = k.confrelid"
        " WHERE k.contype = 'f' AND child.relnamespace = current_schema()::regnamespace"
    ):
        parents.setdefault(child, set()).add(parent)
    return {name: frozenset(found) for name, found in parents.items()}


def _plan(
    tables: list[Table],
    target: dict[str, dict[str, _Column]],
    target_parents: dict[str, frozenset[str]],
) -> list[Table]:
    """The source's tables in an order that keeps both schemas' foreign keys. Every table and
    column the source has must exist in the target, or its rows would be left behind."""
    missing = [t.name for t in tables if t.name not in target]
    if missing:
        raise TransferError(
            f"PostgreSQL's schema has no table {', '.join(missing)}, which the SQLite database"
            " has; upgrade the bot, whose PostgreSQL migrations create it"
        )
    for table in tables:
        lost = [c for c in table.columns if c not in target[table.name]]
        if lost:
            raise TransferError(
                f"PostgreSQL's table {table.name} has no column {', '.join(lost)}, which the"
                " SQLite database has; upgrade the bot, whose PostgreSQL migrations add it"
            )
    by_name = {t.name: t for t in tables}
    parents = {t.name: t.parents | target_parents.get(t.name, frozenset()) for t in tables}
    return [by_name[name] for name in copy_order(list(by_name), parents)]


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


def _copy(conn: psycopg.Connection[Any], source: Source, table: Table) -> int:
    """COPY the table's rows in, ids and all; returns how many."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), _identifiers(table.columns)
    )
    copied = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in source.rows(table):
            copy.write_row(row)
            copied += 1
    return copied


def _restart_counters(
    conn: psycopg.Connection[Any], tables: list[Table], columns: dict[str, dict[str, _Column]]
) -> None:
    """Start every id past the largest copied, so new rows never take an old row's id.
    (ALTER ... RESTART is rolled back with the transaction; setval() would not be.)"""
    for table in tables:
        for column in columns[table.name].values():
            if not (column.identity or column.serial):
                continue
            following = _following(conn, table.name, column.name)
            if following is None:
                continue
            if column.identity:
                conn.execute(
                    sql.SQL("ALTER TABLE {} ALTER COLUMN {} RESTART WITH {}").format(
                        sql.Identifier(table.name),
                        sql.Identifier(column.name),
                        sql.Literal(following),
                    )
                )
            else:
                _restart_owned(conn, table.name, column.name, following)
    for sequence, (table_name, column_name) in COUNTERS.items():
        following = _following(conn, table_name, column_name)
        if following is not None:
            conn.execute(
                sql.SQL("ALTER SEQUENCE {} RESTART WITH {}").format(
                    sql.Identifier(sequence), sql.Literal(following)
                )
            )


def _following(conn: psycopg.Connection[Any], table: str, column: str) -> int | None:
    row = conn.execute(
        sql.SQL("SELECT MAX({}) FROM {}").format(sql.Identifier(column), sql.Identifier(table))
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0]) + 1


def _restart_owned(conn: psycopg.Connection[Any], table: str, column: str, following: int) -> None:
    row = conn.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, column)).fetchone()
    if row is not None and row[0] is not None:
        conn.execute(
            sql.SQL("ALTER SEQUENCE {} RESTART WITH {}").format(
                sql.SQL(row[0]), sql.Literal(following)
            )
        )


def _differences(
    conn: psycopg.Connection[Any],
    source: Source,
    tables: list[Table],
    columns: dict[str, dict[str, _Column]],
) -> list[str]:
    """What differs between the copy and its source, a line each (none: they are equal)."""
    found: list[str] = []
    for table in tables:
        theirs, ours = source.count(table.name), _count(conn, table.name)
        if theirs != ours:
            found.append(f"{table.name}: {theirs:,} row(s) in SQLite, {ours:,} in PostgreSQL")
        shown = 0
        source_rows = source.rows(table)
        copied_rows = _rows(conn, table, columns[table.name])
        try:
            for theirs_row, ours_row in zip_longest(source_rows, copied_rows):
                if theirs_row == ours_row:
                    continue
                found.append(f"{table.name}: SQLite has {theirs_row}, PostgreSQL {ours_row}")
                shown += 1
                if shown == SHOWN:
                    found.append(f"{table.name}: (further differences not shown)")
                    break
        finally:
            # Closes the server-side cursor now, inside the transaction, not when collected.
            copied_rows.close()
    for name, query in CHECKS.items():
        if source.query(query) != [tuple(row) for row in conn.execute(query)]:
            found.append(f"{name}: the totals differ")
    for name, query in _INVARIANTS.items():
        broken = conn.execute(query).fetchall()
        if broken:
            found.append(f"{name}: broken for {', '.join(str(tuple(r)) for r in broken[:SHOWN])}")
    return found


# Must hold in the copy (unique indexes guarantee them; checked, so a schema that lost an
# index cannot let a broken history through).
_INVARIANTS = {
    "one open auction per handle per server": (
        "SELECT guild_id, handle_key FROM auctions WHERE status = 'open'"
        " GROUP BY guild_id, handle_key HAVING COUNT(*) > 1"
    ),
    "one current owner per sold handle": (
        "SELECT guild_id, handle_key FROM sold_handles WHERE released_at IS NULL"
        " GROUP BY guild_id, handle_key HAVING COUNT(*) > 1"
    ),
}


def _rows(
    conn: psycopg.Connection[Any], table: Table, columns: dict[str, _Column]
) -> Generator[tuple[Any, ...], None, None]:
    """The copied rows in the source's order: text in byte order and NULLs first, as SQLite
    sorts them."""
    order = sql.SQL(", ").join(
        sql.SQL('{} COLLATE "C" NULLS FIRST' if columns[c].text else "{} NULLS FIRST").format(
            sql.Identifier(c)
        )
        for c in table.key
    )
    statement = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        _identifiers(table.columns), sql.Identifier(table.name), order
    )
    with conn.cursor(name=f"compare_{table.name}") as cursor:
        cursor.itersize = FETCH
        cursor.execute(statement)
        yield from cursor


def _identifiers(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def _said(exc: psycopg.Error, url: str) -> str:
    """The driver's message on one line, without the URL's password should it quote it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.Error:
        password = urlsplit(url).password
    return text.replace(str(password), "***") if password else text
