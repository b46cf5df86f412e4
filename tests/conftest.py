from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.auctions.house import AuctionHouse
from bot.bootstrap import Core, build_core
from bot.clock import ManualClock
from bot.domain.access import AccessPolicy, Actor
from bot.domain.handles import HandlePolicy
from bot.domain.money import Currency, IncrementRule
from bot.domain.settings import HouseRules, ServerSettings
from bot.messagebus import MessageBus
from bot.storage.sqlite.store import SqliteStore
from tests.fakes import RecordingTimer

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


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(db_path)
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
