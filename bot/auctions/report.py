"""The seller's revenue report (``/auctioneer report``, ``python -m bot report``): one read
transaction gathers the period's rows, the domain works out the figures."""

from __future__ import annotations

from bot.auctions.server_settings import SettingsBook
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.report import Period, Report, ReportRows, build_report, parse_period, period_start
from bot.unit_of_work import Store, UnitOfWork


class Reports:
    def __init__(self, store: Store, clock: Clock, settings: SettingsBook) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def report(self, guild_id: int, actor: Actor, period: Period | str) -> Report:
        """The report a moderator asked for (refused to anyone else)."""
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        return await self.for_guild(guild_id, period)

    async def for_guild(self, guild_id: int, period: Period | str) -> Report:
        """The report for the operator's shell, which needs no Discord role."""
        chosen = period if isinstance(period, Period) else parse_period(period)
        # Amounts are counted in the server's currency as it is now (they are whole numbers
        # either way; a renamed currency renames the old amounts too).
        currency = (await self._settings.for_guild(guild_id)).currency
        now = self._clock.now()
        since = period_start(chosen, now)

        def query(uow: UnitOfWork) -> ReportRows:
            return ReportRows(
                closed=uow.report.closed(guild_id, since, now),
                sales=uow.report.sales(guild_id, since, now),
                defaults=uow.report.defaults(guild_id, since, now),
                second_chance=uow.report.second_chance_sales(guild_id, since, now),
            )

        rows = await self._store.read(query)
        return build_report(guild_id, chosen, now, rows, currency)
