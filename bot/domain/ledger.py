"""Wallet mode's credits: a double-entry ledger per server, as pure values and rules.

Every movement of credits is one ``Entry`` that takes its amount out of one account (the
debit side) and puts it into another (the credit side). Accounts per server: each member's
wallet (available credits), each member's hold on one auction (escrow while they lead it),
the house's revenue, and the source granted credits come from.

A balance is what an account received less what it gave, except the source's, which counts
the other way: it is the credits issued less those revoked. So no balance is ever negative,
and the source's balance is the sum of all the others (``totals_agree``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.errors import BidRefused
from bot.domain.money import Currency

HOUSE = 0  # the member id of the house's own accounts
NO_AUCTION = 0  # the auction id of every account but a hold


class AccountKind(StrEnum):
    WALLET = "wallet"
    HOLD = "hold"
    REVENUE = "revenue"
    SOURCE = "source"


class Movement(StrEnum):
    GRANT = "grant"  # a moderator credits a member: source -> wallet
    REVOKE = "revoke"  # a moderator debits a member: wallet -> source
    HOLD = "hold"  # a leading bid: wallet -> hold on the auction
    RELEASE = "release"  # outbid, voided, cancelled, or what the close did not take
    CAPTURE = "capture"  # the winner pays the final price: hold -> revenue


@dataclass(frozen=True, slots=True, order=True)
class Account:
    """One account of a server's ledger."""

    kind: AccountKind
    member_id: int = HOUSE
    auction_id: int = NO_AUCTION

    @classmethod
    def wallet(cls, member_id: int) -> Account:
        return cls(AccountKind.WALLET, member_id)

    @classmethod
    def hold(cls, member_id: int, auction_id: int) -> Account:
        return cls(AccountKind.HOLD, member_id, auction_id)

    @property
    def counts_outflows(self) -> bool:
        """The source's balance is what it gave less what it got back."""
        return self.kind is AccountKind.SOURCE


REVENUE = Account(AccountKind.REVENUE)
SOURCE = Account(AccountKind.SOURCE)


@dataclass(frozen=True, slots=True)
class Posting:
    """A movement to write: ``amount`` of ``member_id``'s credits, for ``reason``."""

    movement: Movement
    member_id: int
    amount: int
    reason: str
    auction_id: int | None = None
    actor_id: int | None = None  # the moderator, for grants and revokes

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"a ledger entry moves a positive whole amount, not {self.amount!r}")
        if not self.reason.strip():
            raise ValueError("a ledger entry needs a reason")
        if self.movement in _ON_AUCTION and self.auction_id is None:
            raise ValueError(f"a {self.movement} entry names its auction")

    @property
    def debit(self) -> Account:
        return self._sides()[0]

    @property
    def credit(self) -> Account:
        return self._sides()[1]

    def _sides(self) -> tuple[Account, Account]:
        wallet = Account.wallet(self.member_id)
        hold = Account.hold(self.member_id, self.auction_id or NO_AUCTION)
        match self.movement:
            case Movement.GRANT:
                return SOURCE, wallet
            case Movement.REVOKE:
                return wallet, SOURCE
            case Movement.HOLD:
                return wallet, hold
            case Movement.RELEASE:
                return hold, wallet
            case Movement.CAPTURE:
                return hold, REVENUE


_ON_AUCTION = frozenset({Movement.HOLD, Movement.RELEASE, Movement.CAPTURE})


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored ledger entry (append-only), with the auction's handle where it has one."""

    id: int
    guild_id: int
    movement: Movement
    debit: Account
    credit: Account
    amount: int
    member_id: int
    auction_id: int | None
    actor_id: int | None
    reason: str
    at: datetime
    handle: str | None = None

    def change_for(self, member_id: int) -> int:
        """How this entry changed the member's available credits (+ in, - out, 0 within)."""
        if self.credit == Account.wallet(member_id):
            return self.amount
        if self.debit == Account.wallet(member_id):
            return -self.amount
        return 0


@dataclass(frozen=True, slots=True)
class Hold:
    """A member's credits held on one auction (they lead it)."""

    auction_id: int
    amount: int
    handle: str = ""


@dataclass(frozen=True, slots=True)
class Balance:
    """A member's credits: available to bid, and held on the auctions they lead."""

    available: int
    holds: tuple[Hold, ...] = ()

    @property
    def held(self) -> int:
        return sum(h.amount for h in self.holds)

    @property
    def total(self) -> int:
        return self.available + self.held

    def held_on(self, auction_id: int) -> int:
        return sum(h.amount for h in self.holds if h.auction_id == auction_id)

    def spendable_on(self, auction_id: int) -> int:
        """What a bid on ``auction_id`` may commit: available plus what it holds there."""
        return self.available + self.held_on(auction_id)


class NotEnoughCredits(BidRefused):
    """A bid in a wallet auction needs more credits than the member has available."""


def not_enough_credits(currency: Currency, balance: Balance, auction_id: int, need: int) -> str:
    """The refusal, counting the holds on other auctions (what this one holds is available)."""
    others = [h for h in balance.holds if h.auction_id != auction_id]
    held = sum(h.amount for h in others)
    where = (
        f" ({held:,} held in {len(others)} auction{'' if len(others) == 1 else 's'})"
        if others
        else ""
    )
    return (
        f"You have {currency.format(balance.spendable_on(auction_id))} available{where}; "
        f"this bid needs {need:,}."
    )


def apply(balances: dict[Account, int], debit: Account, credit: Account, amount: int) -> None:
    """Move ``amount`` from ``debit`` to ``credit`` in ``balances`` (the sign convention)."""
    balances[debit] = balances.get(debit, 0) + (amount if debit.counts_outflows else -amount)
    balances[credit] = balances.get(credit, 0) + (-amount if credit.counts_outflows else amount)


def replay(entries: Iterable[Entry]) -> dict[Account, int]:
    """Every account's balance, from the entries alone."""
    balances: dict[Account, int] = {}
    for entry in entries:
        apply(balances, entry.debit, entry.credit, entry.amount)
    return balances


def totals_agree(balances: Mapping[Account, int]) -> bool:
    """Credits issued less revoked = every wallet and hold + the house's revenue."""
    issued = sum(v for a, v in balances.items() if a.kind is AccountKind.SOURCE)
    rest = sum(v for a, v in balances.items() if a.kind is not AccountKind.SOURCE)
    return issued == rest and all(v >= 0 for v in balances.values())


@dataclass(frozen=True, slots=True)
class Mismatch:
    """An account whose cached balance is not what its entries add up to."""

    account: Account
    cached: int
    from_entries: int
