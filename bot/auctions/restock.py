"""What happens to an inventory handle when its auction closes, in the closing transaction:
sold, it is marked sold; cancelled, it is available again; unsold, it is available again and,
when the server relists, scheduled to go up again at a lower starting bid (the way Fragment
lowers unclaimed names)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.auction import Auction, Outcome
from bot.domain.events import StartScheduled
from bot.domain.inventory import ItemStatus
from bot.domain.payments import MoneyMode, PaymentRules
from bot.domain.relist import RelistPolicy, next_relist
from bot.domain.settings import ServerSettings, effective
from bot.unit_of_work import UnitOfWork


class Restock:
    def __init__(self, defaults: ServerSettings) -> None:
        # Only the relist policy is read from here: it names no channel or role, so the
        # defaults need no filtering per server.
        self._defaults = defaults

    def policy(self, uow: UnitOfWork, guild_id: int) -> RelistPolicy:
        return effective(self._defaults, uow.settings.overrides(guild_id)).relist

    def payments(self, uow: UnitOfWork, guild_id: int) -> PaymentRules:
        """The server's pledge rules as they are now, read in the caller's transaction."""
        return effective(self._defaults, uow.settings.overrides(guild_id)).payments

    def after_close(self, uow: UnitOfWork, auction: Auction, now: datetime) -> None:
        item = uow.inventory.find(auction.guild_id, auction.handle.key)
        if (
            item is None
            or item.status is not ItemStatus.IN_AUCTION
            or item.auction_id != auction.id
        ):
            return  # not an inventory handle (or listed again meanwhile)
        if auction.outcome is Outcome.SOLD:
            if auction.money is not MoneyMode.PLEDGE:  # a pledge sale is sold once paid
                uow.inventory.set_status(item.id, ItemStatus.SOLD, at=now)
            return
        uow.inventory.set_status(item.id, ItemStatus.AVAILABLE, at=now)
        if auction.outcome is Outcome.CANCELLED:
            return
        base = item.relist_base or auction.terms.starting_bid
        step = next_relist(
            base=base,
            relists_so_far=item.relists,
            previous_starting_bid=auction.terms.starting_bid,
            closed_at=now,
            policy=self.policy(uow, auction.guild_id),
        )
        if step is None:
            return
        start = uow.schedule.add_start(
            guild_id=auction.guild_id,
            inventory_id=item.id,
            drop_id=None,
            starts_at=step.at,
            # As long as it was listed for: extensions are not carried over.
            duration=auction.listed_for or auction.ends_at - auction.opened_at,
            starting_bid=step.starting_bid,
            channel_id=auction.channel_id,
            opened_by=auction.opened_by,
            relist_number=step.number,
            relisted_from=step.previous_starting_bid,
        )
        uow.inventory.set_status(item.id, ItemStatus.SCHEDULED, at=now)
        uow.inventory.set_relists(item.id, step.number, base)
        uow.record(StartScheduled(start.id, auction.guild_id, step.at))
