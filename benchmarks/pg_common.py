"""What the PostgreSQL benchmarks share: a server (a throwaway one, or ``--url``'s), a fresh
migrated database per phase, and the server's line in the machine block."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bot.storage.postgres.schema import migrate
from tests.postgres_server import PostgresServer


def with_database(url: str, database: str) -> str:
    """``url`` naming another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@dataclass
class Databases:
    """Fresh databases on one server, each dropped when the run ends."""

    url: str  # the maintenance database: where CREATE DATABASE runs
    created: list[str] = field(default_factory=list)

    def fresh(self, *, migrated: bool = True) -> str:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        url = with_database(self.url, name)
        if migrated:
            with psycopg.connect(url, autocommit=True) as conn:
                migrate(conn)
        return url

    def drop_all(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.clear()

    def server_line(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute(
                "SELECT current_setting('server_version'), current_setting('fsync'),"
                " current_setting('synchronous_commit'), current_setting('max_connections')"
            ).fetchone()
        assert row is not None
        version, fsync, sync_commit, max_conn = row
        return (
            f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync_commit},"
            f" max_connections={max_conn}); psycopg {metadata.version('psycopg')},"
            f" psycopg_pool {metadata.version('psycopg-pool')}"
        )


@contextmanager
def databases(url: str | None) -> Iterator[Databases]:
    """``url``'s server, or a throwaway one started here (and stopped after) when it is None."""
    server = PostgresServer.start() if url is None else None
    dbs = Databases(server.url if server is not None else url or "")
    try:
        yield dbs
    finally:
        try:
            dbs.drop_all()
        finally:
            if server is not None:
                server.stop()


def print_server(dbs: Databases, *, started: bool) -> None:
    where = "throwaway server started by the benchmark (tests/postgres_server.py)"
    print(f"  {'postgres':<10} {dbs.server_line()}")
    print(f"  {'server':<10} {where if started else 'the one --url names'}")


def print_load() -> None:
    """The machine's load averages as the run starts: PostgreSQL shares its cores."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  {'load':<10} {load} (1, 5, 15 min, at the start)")
