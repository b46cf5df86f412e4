from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import psycopg.errors
import pytest

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core, build_core
from bot.clock import ManualClock
from bot.domain.access import AccessPolicy, Actor
from bot.domain.handles import HandlePolicy
from bot.domain.money import Currency, IncrementRule
from bot.domain.settings import HouseRules, ServerSettings
from bot.messagebus import MessageBus
from bot.storage.factory import open_url
from bot.storage.postgres.schema import migrate as migrate_postgres
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore
from tests.fakes import RecordingTimer
from tests.postgres_server import REQUIRED, PostgresServer, Unavailable

# What either store raises when the schema refuses a change (a CHECK, a unique index, the
# triggers that keep bids append-only).
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.errors.IntegrityError)
# For a test about SQLite alone (its pragmas, its write lane, its cache): runs on SQLite only.
sqlite_only = pytest.mark.parametrize("store_kind", ["sqlite"])

GUILD = 111
OTHER_GUILD = 222
MOD = Actor(user_id=1, manages_guild=True)
ALICE = Actor(user_id=10)
BOB = Actor(user_id=20)
CAROL = Actor(user_id=30)

RULES = HouseRules(
    increment=IncrementRule(absolute=10, percent=5),
    anti_snipe_window=timedelta(minutes=2),
    anti_snipe_extension=timedelta(minutes=2),
    max_extensions=0,
    min_duration=timedelta(seconds=1),
    max_duration=timedelta(days=30),
)
SETTINGS = ServerSettings(
    currency=Currency(name="credits", max_amount=10**12),
    rules=RULES,
    handles=HandlePolicy(platform="x", reserved=frozenset({"admin", "support"})),
    access=AccessPolicy(moderator_role_ids=frozenset({900})),
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def reminders() -> RecordingTimer:
    return RecordingTimer()


@pytest.fixture
def bus() -> MessageBus:
    return MessageBus()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "auctions.db"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, started on first use. Where none can be
    started the tests that need it skip, saying why; with REQUIRE_POSTGRES set (CI) they
    fail instead."""
    try:
        server = PostgresServer.start()
    except Unavailable as exc:
        if os.environ.get(REQUIRED):
            pytest.fail(f"PostgreSQL is required ({REQUIRED} is set) but: {exc}")
        pytest.skip(f"no PostgreSQL server can be started here: {exc}")
    yield server
    server.stop()


TEMPLATE = "auctions_template"


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database with the schema applied once, copied for each test (CREATE DATABASE ...
    TEMPLATE), so every test starts from an empty, migrated database of its own."""
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    with psycopg.connect(postgres_server.url_for(TEMPLATE), autocommit=True) as conn:
        migrate_postgres(conn)
    return TEMPLATE


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    yield postgres_server.url_for(name)
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def store_kind() -> str:
    """Which store ``db`` is: SQLite here; the service and storage suites run on both
    (their conftest parametrises this)."""
    return "sqlite"


@pytest.fixture
def db_url(store_kind: str, db_path: Path, request: pytest.FixtureRequest) -> str:
    if store_kind == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{db_path}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[SqliteStore | PostgresStore]:
    store = await open_url(db_url)
    yield store
    await store.close()


def make_core(
    db: SqliteStore,
    clock: ManualClock,
    reminders: RecordingTimer,
    settings: ServerSettings = SETTINGS,
    bus: MessageBus | None = None,
) -> Core:
    """The core over ``db``, as ``python -m bot`` builds it (``db``'s events go to its bus)."""
    bus = bus or MessageBus()
    db.publish_to(bus.publish)
    return build_core(db, bus, clock=clock, timer=reminders, defaults=settings)


def make_service(
    db: SqliteStore,
    clock: ManualClock,
    reminders: RecordingTimer,
    settings: ServerSettings = SETTINGS,
) -> AuctionHouse:
    return make_core(db, clock, reminders, settings).house


@pytest.fixture
def core(db: SqliteStore, bus: MessageBus, clock: ManualClock, reminders: RecordingTimer) -> Core:
    return make_core(db, clock, reminders, bus=bus)


@pytest.fixture
def service(core: Core) -> AuctionHouse:
    return core.house
