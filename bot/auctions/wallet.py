"""Wallets: what a member sees of their credits, and moderators crediting and debiting them.

A credit (or debit) is one ledger entry between the server's source of credits and the
member's wallet, audited and copied to the audit channel in the same transaction. Credits
are allowed whatever the server's money mode, so a server can fund wallets before it
switches to wallet mode; a debit never takes what a member's bids hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.auctions.common import audit, reason
from bot.auctions.server_settings import SettingsBook
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.errors import InvalidAmount, InvalidInput
from bot.domain.ledger import Balance, Entry, Movement, Posting
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

RECENT_SHOWN = 5
HISTORY_PAGE = 10
# Every balance is a signed 64-bit integer in both stores, and the source's is the sum of
# all the others: past this, SQLite would store it as an inexact float, PostgreSQL refuse it.
MOST_ISSUED = 2**63 - 1


@dataclass(frozen=True, slots=True)
class WalletView:
    """``/wallet``: a member's balance, their holds and their latest movements."""

    member_id: int
    balance: Balance
    recent: list[Entry]
    entries: int  # how many the member has in all
    currency: Currency
    mode: MoneyMode  # the server's current mode


@dataclass(frozen=True, slots=True)
class HistoryPage:
    member_id: int
    entries: list[Entry]
    total: int
    page: int
    pages: int
    currency: Currency


@dataclass(frozen=True, slots=True)
class WalletChange:
    """What a moderator's credit or debit did."""

    member_id: int
    movement: Movement
    amount: int
    balance: Balance
    currency: Currency
    entry_id: int


class Wallets:
    def __init__(self, store: Store, clock: Clock, settings: SettingsBook) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def view(self, guild_id: int, member_id: int) -> WalletView:
        settings = await self._settings.for_guild(guild_id)

        def query(uow: UnitOfWork) -> WalletView:
            return WalletView(
                member_id=member_id,
                balance=uow.ledger.balance(guild_id, member_id),
                recent=uow.ledger.entries(guild_id, member_id, limit=RECENT_SHOWN),
                entries=uow.ledger.count_entries(guild_id, member_id),
                currency=settings.currency,
                mode=settings.payments.mode,
            )

        return await self._store.read(query)

    async def history(
        self, guild_id: int, member_id: int, page: int = 0, page_size: int = HISTORY_PAGE
    ) -> HistoryPage:
        currency = (await self._settings.for_guild(guild_id)).currency
        page = max(page, 0)

        def query(uow: UnitOfWork) -> HistoryPage:
            total = uow.ledger.count_entries(guild_id, member_id)
            pages = max((total + page_size - 1) // page_size, 1)
            at = min(page, pages - 1)  # the history is only added to, but stay in range
            entries = uow.ledger.entries(
                guild_id, member_id, offset=at * page_size, limit=page_size
            )
            return HistoryPage(member_id, entries, total, at, pages, currency)

        return await self._store.read(query)

    async def credit(
        self,
        guild_id: int,
        actor: Actor,
        member_id: int,
        amount: int,
        why: str,
        *,
        member_is_bot: bool = False,
    ) -> WalletChange:
        """Grant the member ``amount`` credits (moderators)."""
        return await self._change(
            guild_id,
            actor,
            member_id,
            amount,
            why,
            movement=Movement.GRANT,
            member_is_bot=member_is_bot,
        )

    async def debit(
        self,
        guild_id: int,
        actor: Actor,
        member_id: int,
        amount: int,
        why: str,
        *,
        member_is_bot: bool = False,
    ) -> WalletChange:
        """Take ``amount`` of the member's available credits back (moderators); never what
        their bids hold."""
        return await self._change(
            guild_id,
            actor,
            member_id,
            amount,
            why,
            movement=Movement.REVOKE,
            member_is_bot=member_is_bot,
        )

    async def _change(
        self,
        guild_id: int,
        actor: Actor,
        member_id: int,
        amount: int,
        why: str,
        *,
        movement: Movement,
        member_is_bot: bool,
    ) -> WalletChange:
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        currency = settings.currency
        if member_is_bot:
            raise InvalidInput("Bots have no wallet: credit or debit a member instead.")
        currency.check(amount, "amount")
        text = reason(why, required=True) or ""
        verb = "credit" if movement is Movement.GRANT else "debit"

        def transaction(uow: UnitOfWork) -> WalletChange:
            now = self._clock.now()
            uow.ledger.lock_members(guild_id, (member_id,))
            before = uow.ledger.balance(guild_id, member_id)
            if movement is Movement.REVOKE and amount > before.available:
                held = (
                    f" ({currency.format(before.held)} more are held by their leading bids,"
                    " and a debit never takes those)"
                    if before.held
                    else ""
                )
                raise InvalidAmount(
                    f"That member has only {currency.format(before.available)} available"
                    f"{held}: a debit can take at most {currency.format(before.available)}."
                )
            if movement is Movement.GRANT and before.total + amount > currency.max_amount:
                raise InvalidAmount(
                    f"That would give the member more than {currency.format(currency.max_amount)}"
                    f", the most anyone may hold here (they have {currency.format(before.total)})."
                )
            if movement is Movement.GRANT and uow.ledger.issued(guild_id) + amount > MOST_ISSUED:
                raise InvalidAmount(
                    "The server's credits in all would exceed "
                    f"{currency.format(MOST_ISSUED)}, the most the bot can count: "
                    "debit some first, or credit less."
                )
            entry_id = uow.ledger.post(
                guild_id,
                Posting(movement, member_id, amount, text, actor_id=actor.user_id),
                now,
            )
            after = uow.ledger.balance(guild_id, member_id)
            audit(
                uow, guild_id=guild_id, auction_id=None, handle="", actor=actor, action=verb,
                detail=(
                    f"{verb}ed {currency.format(amount)} {'to' if verb == 'credit' else 'from'}"
                    f" member {member_id}; now {currency.format(after.available)} available"
                ),
                reason=text, now=now,
            )  # fmt: skip
            return WalletChange(member_id, movement, amount, after, currency, entry_id)

        change = await self._store.write(transaction)
        log.info(
            "guild %s: %s %s %s member %s: %s",
            guild_id, actor.user_id, verb, amount, member_id, text,
        )  # fmt: skip
        return change
