"""Pledge settlements, their steps and members' standing (``SettlementRepository``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.errors import AuctionNotFound
from bot.domain.settlement import (
    MemberStanding,
    Settlement,
    SettlementStatus,
    SettlementStep,
    StepState,
)
from bot.storage.sql.codec import from_us, opt_from_us, to_us
from bot.storage.sql.connection import MAX_ROW_ID, Connection, Dialect, new_row_id

_STEP = (
    "id, auction_id, guild_id, round, member_id, price, offered_at, due_at, state,"
    " decided_at, decided_by"
)
_OPEN = "state IN ('awaiting_payment', 'offered')"


def _step(r: Any) -> SettlementStep:
    return SettlementStep(
        id=r[0], auction_id=r[1], guild_id=r[2], round=r[3], member_id=r[4], price=r[5],
        offered_at=from_us(r[6]), due_at=from_us(r[7]), state=StepState(r[8]),
        decided_at=opt_from_us(r[9]), decided_by=r[10],
    )  # fmt: skip


def _settlement(r: Any) -> Settlement:
    return Settlement(
        auction_id=r[0], guild_id=r[1], status=SettlementStatus(r[2]),
        settled_at=opt_from_us(r[3]),
    )  # fmt: skip


class SqlSettlements:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect
        # Every bid asks whether its member is barred, and bars are rare: where one process
        # writes (the auctions' cache is allowed), the barred members are read once and kept
        # until a bar changes or a rollback undoes changes (``forget_cached``).
        self._caching = dialect.caches_auctions
        self._bars: set[tuple[int, int]] | None = None

    def forget_cached(self) -> None:
        self._bars = None

    def is_barred(self, guild_id: int, member_id: int) -> bool:
        if not self._caching:
            row = self._conn.execute(
                "SELECT 1 FROM member_standing WHERE guild_id = ? AND member_id = ?"
                " AND barred_at IS NOT NULL",
                (guild_id, member_id),
            ).fetchone()
            return row is not None
        if self._bars is None:
            rows = self._conn.execute(
                "SELECT guild_id, member_id FROM member_standing WHERE barred_at IS NOT NULL"
            ).fetchall()
            self._bars = {(g, m) for g, m in rows}
        return (guild_id, member_id) in self._bars

    # -- settlements
    def open(self, auction_id: int, guild_id: int) -> bool:
        cursor = self._conn.execute(
            "INSERT INTO settlements (auction_id, guild_id, status) VALUES (?, ?, 'due')"
            " ON CONFLICT DO NOTHING",
            (auction_id, guild_id),
        )
        return cursor.rowcount == 1

    def get(self, auction_id: int) -> Settlement | None:
        row = self._conn.execute(
            "SELECT auction_id, guild_id, status, settled_at FROM settlements"
            f" WHERE auction_id = ?{self._dialect.lock_for_update}",
            (auction_id,),
        ).fetchone()
        return None if row is None else _settlement(row)

    def due_for_handle(self, guild_id: int, handle_key: str) -> Settlement | None:
        """The handle's settlement still due on the server, if it has one."""
        row = self._conn.execute(
            "SELECT s.auction_id, s.guild_id, s.status, s.settled_at FROM settlements AS s"
            " JOIN auctions AS a ON a.id = s.auction_id"
            " WHERE s.guild_id = ? AND s.status = 'due' AND a.guild_id = ? AND a.handle_key = ?"
            " ORDER BY s.auction_id DESC LIMIT 1",
            (guild_id, guild_id, handle_key),
        ).fetchone()
        return None if row is None else _settlement(row)

    def finish(self, auction_id: int, status: SettlementStatus, at: datetime) -> bool:
        """Settle a due settlement; False if it was settled already."""
        cursor = self._conn.execute(
            "UPDATE settlements SET status = ?, settled_at = ? WHERE auction_id = ? AND status = 'due'",
            (status.value, to_us(at), auction_id),
        )
        return cursor.rowcount == 1

    # -- steps
    def add_step(
        self,
        *,
        auction_id: int,
        guild_id: int,
        round: int,
        member_id: int,
        price: int,
        offered_at: datetime,
        due_at: datetime,
        state: StepState,
    ) -> SettlementStep:
        cursor = self._conn.execute(
            "INSERT INTO settlement_steps (auction_id, guild_id, round, member_id, price,"
            " offered_at, due_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            f"{self._dialect.returning_id}",
            (
                auction_id, guild_id, round, member_id, price, to_us(offered_at), to_us(due_at),
                state.value,
            ),
        )  # fmt: skip
        return SettlementStep(
            id=new_row_id(self._dialect, cursor), auction_id=auction_id, guild_id=guild_id,
            round=round, member_id=member_id, price=price, offered_at=offered_at, due_at=due_at,
            state=state, decided_at=None, decided_by=None,
        )  # fmt: skip

    def get_step(self, step_id: int) -> SettlementStep:
        row = None
        if 0 < step_id <= MAX_ROW_ID:
            row = self._conn.execute(
                f"SELECT {_STEP} FROM settlement_steps WHERE id = ?{self._dialect.lock_for_update}",
                (step_id,),
            ).fetchone()
        if row is None:
            raise AuctionNotFound("That settlement step no longer exists.")
        return _step(row)

    def steps(self, auction_id: int) -> list[SettlementStep]:
        rows = self._conn.execute(
            f"SELECT {_STEP} FROM settlement_steps WHERE auction_id = ? ORDER BY round",
            (auction_id,),
        ).fetchall()
        return [_step(r) for r in rows]

    def decide(
        self,
        step_id: int,
        *,
        expected: StepState,
        state: StepState,
        at: datetime,
        by: int | None,
    ) -> bool:
        """Give an open step its final state if it is still ``expected``; False if not (it
        was decided already: a step is decided once)."""
        cursor = self._conn.execute(
            "UPDATE settlement_steps SET state = ?, decided_at = ?, decided_by = ?"
            " WHERE id = ? AND state = ? AND decided_at IS NULL",
            (state.value, to_us(at), by, step_id, expected.value),
        )
        return cursor.rowcount == 1

    def accept(self, step_id: int, *, due_at: datetime) -> bool:
        """An offer accepted: the step now awaits payment by ``due_at``; False if it was no
        longer an open offer."""
        cursor = self._conn.execute(
            "UPDATE settlement_steps SET state = 'awaiting_payment', due_at = ?"
            " WHERE id = ? AND state = 'offered' AND decided_at IS NULL",
            (to_us(due_at), step_id),
        )
        return cursor.rowcount == 1

    def due_by(self, until: datetime) -> list[tuple[int, datetime]]:
        """Ids and deadlines of the open steps due by ``until``, soonest first."""
        rows = self._conn.execute(
            f"SELECT id, due_at FROM settlement_steps WHERE {_OPEN} AND due_at <= ?"
            " ORDER BY due_at, id",
            (to_us(until),),
        ).fetchall()
        return [(r[0], from_us(r[1])) for r in rows]

    # -- members' standing
    def standing(self, guild_id: int, member_id: int) -> MemberStanding:
        row = self._conn.execute(
            "SELECT defaults, barred_at FROM member_standing WHERE guild_id = ? AND member_id = ?",
            (guild_id, member_id),
        ).fetchone()
        if row is None:
            return MemberStanding(guild_id, member_id)
        return MemberStanding(guild_id, member_id, row[0], opt_from_us(row[1]))

    def barred(self, guild_id: int) -> set[int]:
        rows = self._conn.execute(
            "SELECT member_id FROM member_standing WHERE guild_id = ? AND barred_at IS NOT NULL",
            (guild_id,),
        ).fetchall()
        return {r[0] for r in rows}

    def add_default(self, guild_id: int, member_id: int) -> int:
        """Count one more default; returns the member's count now."""
        self._conn.execute(
            "INSERT INTO member_standing (guild_id, member_id, defaults) VALUES (?, ?, 1)"
            " ON CONFLICT (guild_id, member_id)"
            " DO UPDATE SET defaults = member_standing.defaults + 1",
            (guild_id, member_id),
        )
        return int(
            self._conn.execute(
                "SELECT defaults FROM member_standing WHERE guild_id = ? AND member_id = ?",
                (guild_id, member_id),
            ).fetchone()[0]
        )

    def bar(self, guild_id: int, member_id: int, at: datetime) -> bool:
        cursor = self._conn.execute(
            "UPDATE member_standing SET barred_at = ?"
            " WHERE guild_id = ? AND member_id = ? AND barred_at IS NULL",
            (to_us(at), guild_id, member_id),
        )
        self._bars = None
        return cursor.rowcount == 1

    def unbar(self, guild_id: int, member_id: int) -> bool:
        """Lift the bar and start the count afresh; False if the member was not barred."""
        cursor = self._conn.execute(
            "UPDATE member_standing SET barred_at = NULL, defaults = 0"
            " WHERE guild_id = ? AND member_id = ? AND barred_at IS NOT NULL",
            (guild_id, member_id),
        )
        self._bars = None
        return cursor.rowcount == 1
