"""Whether a member is barred is asked by every bid: on SQLite (one writing process) the bars
are kept between transactions, and no kept copy ever differs from the table, after a bar, an
unbar or a rollback that undid one. On PostgreSQL every bid asks the table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.storage.sqlite.store import SqliteStore
from bot.unit_of_work import UnitOfWork
from tests.conftest import GUILD, OTHER_GUILD

MEMBER = 10
AT = datetime(2026, 1, 1, tzinfo=UTC)


async def barred(db: SqliteStore, guild_id: int = GUILD) -> bool:
    return await db.read(lambda uow: uow.settlements.is_barred(guild_id, MEMBER))


async def test_a_bar_and_an_unbar_are_seen_at_once(db: SqliteStore) -> None:
    assert not await barred(db)  # read (and, on SQLite, kept) before any bar
    await db.write(lambda uow: uow.settlements.add_default(GUILD, MEMBER))
    assert await db.write(lambda uow: uow.settlements.bar(GUILD, MEMBER, AT))
    assert await barred(db)
    assert not await barred(db, OTHER_GUILD)  # a bar is one server's
    assert await db.write(lambda uow: uow.settlements.unbar(GUILD, MEMBER))
    assert not await barred(db)


async def test_a_bar_undone_by_a_rollback_is_not_kept(db: SqliteStore) -> None:
    await db.write(lambda uow: uow.settlements.add_default(GUILD, MEMBER))

    def bar_then_fail(uow: UnitOfWork) -> None:
        uow.settlements.bar(GUILD, MEMBER, AT)
        assert uow.settlements.is_barred(GUILD, MEMBER)  # seen inside its transaction
        raise RuntimeError("the rest of the transaction failed")

    with pytest.raises(RuntimeError):
        await db.write(bar_then_fail)
    assert not await barred(db)
