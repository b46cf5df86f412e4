"""How a server's auctions are paid for, and who may bid how much.

Each server chooses a money mode (``money.mode``):

- ``none``: a winner wins and nothing follows (payment is the server's own business);
- ``wallet``: members hold credits in the bot's ledger; a bid holds its amount (or its
  secret maximum) in escrow, and the close captures the final price;
- ``pledge``: payment happens outside the bot; the winner has a deadline, a moderator
  confirms payment, and an unpaid sale is offered to the next bidders in turn.

An auction keeps the mode it was started under (``Auction.money``): switching a server's
mode changes only the auctions started after the switch.

Trust tiers scale what a member may bid with the roles they hold: "bids above 10,000 need
the Verified role".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.domain.errors import BidRefused, InvalidInput
from bot.domain.money import Currency

MAX_SECOND_CHANCES = 10
MAX_DEFAULTS_TO_BAR = 100
MAX_TIERS = 10
MIN_DEADLINE = timedelta(minutes=1)

RoleName = Callable[[int], str]


def role_mention(role_id: int) -> str:
    """How a refusal names a role: a mention, which Discord shows as the role's name (the
    bot's ``allowed_mentions`` keeps it from pinging anyone)."""
    return f"<@&{role_id}>"


class MoneyMode(StrEnum):
    NONE = "none"
    WALLET = "wallet"
    PLEDGE = "pledge"


def money_mode(value: object, where: str) -> MoneyMode:
    text = value.strip().lower() if isinstance(value, str) else value
    for mode in MoneyMode:
        if text == mode.value:
            return mode
    raise InvalidInput(
        f"{where} must be one of {', '.join(m.value for m in MoneyMode)}, not {value!r}."
    )


@dataclass(frozen=True, slots=True)
class PaymentRules:
    """The money mode and, for pledge mode, the settlement's deadlines and limits."""

    mode: MoneyMode = MoneyMode.NONE
    # Pledge mode: how long a winner has to pay, how long a second-chance offer stands,
    # how many bidders after the winner are offered the handle, and after how many defaults
    # a member is barred from bidding (0: never).
    payment_deadline: timedelta = timedelta(hours=48)
    offer_deadline: timedelta = timedelta(hours=24)
    second_chances: int = 2
    defaults_to_bar: int = 2


@dataclass(frozen=True, slots=True, order=True)
class TrustTier:
    """Bids (or maximums) above ``amount`` need ``role_id``."""

    amount: int
    role_id: int


@dataclass(frozen=True, slots=True)
class TrustLimits:
    tiers: tuple[TrustTier, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(sorted(set(self.tiers))))

    def refusal(
        self,
        role_ids: frozenset[int],
        amount: int,
        currency: Currency,
        role_name: RoleName = role_mention,
    ) -> str | None:
        """Why a member with ``role_ids`` may not commit ``amount`` (None: they may)."""
        for tier in self.tiers:  # lowest first: name the first limit the bid crosses
            if amount > tier.amount and tier.role_id not in role_ids:
                return (
                    f"Bids above {currency.format(tier.amount)} need the "
                    f"{role_name(tier.role_id)} role; you can bid up to "
                    f"{currency.format(self.limit_for(role_ids))} without it."
                )
        return None

    def limit_for(self, role_ids: frozenset[int]) -> int:
        """The largest amount a member with these roles may commit (every tier's amount
        up to the first whose role they lack)."""
        for tier in self.tiers:
            if tier.role_id not in role_ids:
                return tier.amount
        return 2**63 - 1

    def check(
        self,
        role_ids: frozenset[int],
        amount: int,
        currency: Currency,
        role_name: RoleName = role_mention,
    ) -> None:
        reason = self.refusal(role_ids, amount, currency, role_name)
        if reason is not None:
            raise BidRefused(reason)

    def with_tier(self, tier: TrustTier) -> TrustLimits:
        """These limits with ``tier`` (replacing any tier at the same amount)."""
        kept = [t for t in self.tiers if t.amount != tier.amount]
        if len(kept) >= MAX_TIERS:
            raise InvalidInput(
                f"A server has at most {MAX_TIERS} trust tiers; remove one first "
                "(`/settings tiers remove`)."
            )
        return TrustLimits((*kept, tier))

    def without(self, amount: int) -> TrustLimits:
        kept = tuple(t for t in self.tiers if t.amount != amount)
        if len(kept) == len(self.tiers):
            raise InvalidInput(
                f"There is no trust tier at {amount:,}; `/settings tiers list` shows them."
            )
        return TrustLimits(kept)


def parse_tiers(text: str) -> TrustLimits:
    """The stored form: ``amount:role_id`` pairs, comma-separated."""
    tiers: list[TrustTier] = []
    for part in text.split(","):
        amount, _, role = part.strip().partition(":")
        if amount.isdigit() and role.isdigit():
            tiers.append(TrustTier(int(amount), int(role)))
    return TrustLimits(tuple(tiers))


def format_tiers(limits: TrustLimits | Iterable[TrustTier]) -> str:
    tiers = limits.tiers if isinstance(limits, TrustLimits) else tuple(limits)
    return ",".join(f"{t.amount}:{t.role_id}" for t in tiers)
