from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import AuctionSettings
from bot.domain.access import AccessPolicy, Actor
from bot.domain.handles import HandlePolicy
from bot.domain.money import Currency, IncrementRule
from bot.service import AuctionService
from bot.storage.database import Database
from tests.fakes import RecordingReminders

GUILD = 111
OTHER_GUILD = 222
MOD = Actor(user_id=1, manages_guild=True)
ALICE = Actor(user_id=10)
BOB = Actor(user_id=20)
CAROL = Actor(user_id=30)

SETTINGS = AuctionSettings(
    currency=Currency(name="credits", max_amount=10**12),
    increment=IncrementRule(absolute=10, percent=5),
    anti_snipe_window=timedelta(minutes=2),
    anti_snipe_extension=timedelta(minutes=2),
    max_extensions=0,
    min_duration=timedelta(seconds=1),
    max_duration=timedelta(days=30),
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def reminders() -> RecordingReminders:
    return RecordingReminders()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "auctions.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    yield database
    await database.close()


def make_service(
    db: Database, clock: ManualClock, reminders: RecordingReminders, **overrides: object
) -> AuctionService:
    options: dict[str, object] = {
        "settings": SETTINGS,
        "handles": HandlePolicy(platform="x", reserved=frozenset({"admin", "support"})),
        "access": AccessPolicy(moderator_role_ids=frozenset({900})),
    }
    options.update(overrides)
    return AuctionService(db, clock=clock, reminders=reminders, **options)  # type: ignore[arg-type]


@pytest.fixture
def service(db: Database, clock: ManualClock, reminders: RecordingReminders) -> AuctionService:
    return make_service(db, clock, reminders)
