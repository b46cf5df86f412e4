"""Amounts of the server's currency and the minimum-increment rule."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.errors import InvalidAmount, InvalidInput
from bot.domain.text import quote

DEFAULT_MAX_AMOUNT = 10**12
_INTEGER = re.compile(r"-?[0-9]+")
_DIGITS = re.compile(r"[0-9]{1,15}")
MAX_INCREMENT_PERCENT = 1000


@dataclass(frozen=True, slots=True)
class Currency:
    """The unit amounts are counted in, and the largest amount anyone may name."""

    name: str = "credits"
    max_amount: int = DEFAULT_MAX_AMOUNT

    def format(self, amount: int) -> str:
        return f"{amount:,} {self.name}"

    def check(self, amount: object, what: str = "amount") -> int:
        """Return ``amount`` if it is a whole number in 1..max_amount, else refuse with the range."""
        # bool is an int subclass: True must not be read as a bid of 1.
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise InvalidAmount(
                f"The {what} must be a whole number of {self.name} "
                f"between 1 and {self.max_amount:,}."
            )
        if not 1 <= amount <= self.max_amount:
            raise InvalidAmount(
                f"The {what} must be between 1 and {self.max_amount:,} {self.name}; "
                f"{amount:,} is out of range."
            )
        return amount

    def parse(self, text: str, what: str = "amount") -> int:
        """Read an amount typed as text (``1250``, ``1,250``, ``1 250``) and check its range."""
        compact = text.strip().replace(",", "").replace("_", "").replace(" ", "")
        if not _INTEGER.fullmatch(compact):
            raise InvalidAmount(
                f"`{quote(text)}` is not a whole number: type the {what} in digits, like 1250 "
                f"(from 1 to {self.max_amount:,})."
            )
        if len(compact) > 20:  # far beyond any maximum; spares int() a huge string
            return self.check(self.max_amount + 1, what)
        return self.check(int(compact), what)


@dataclass(frozen=True, slots=True)
class IncrementRule:
    """Minimum next bid = max(current + absolute, ceil(current * (100 + percent) / 100)).

    This is the rule Telegram's Fragment uses: with ``absolute >= 1`` the next bid is always
    strictly higher, so two bidders can never tie on price.
    """

    absolute: int = 1
    percent: int = 5

    def __post_init__(self) -> None:
        if isinstance(self.absolute, bool) or not isinstance(self.absolute, int):
            raise InvalidInput("The absolute increment must be a whole number.")
        if isinstance(self.percent, bool) or not isinstance(self.percent, int):
            raise InvalidInput("The percentage increment must be a whole number.")
        if self.absolute < 1:
            raise InvalidInput("The absolute increment must be at least 1.")
        if not 0 <= self.percent <= MAX_INCREMENT_PERCENT:
            raise InvalidInput(
                f"The percentage increment must be between 0% and {MAX_INCREMENT_PERCENT}%."
            )

    def next_after(self, current: int) -> int:
        """The lowest amount that beats ``current``."""
        by_percent = -(-current * (100 + self.percent) // 100)  # ceiling without floats
        return max(current + self.absolute, by_percent)

    def describe(self, currency: Currency) -> str:
        if self.percent == 0:
            return f"+{currency.format(self.absolute)}"
        return f"+{self.percent}% (at least +{currency.format(self.absolute)})"

    @classmethod
    def parse_override(cls, text: str, default: IncrementRule) -> IncrementRule:
        """Read a per-auction override: ``"10"`` (absolute) or ``"5%"`` (percentage).

        An absolute override drops the percentage part and a percentage override keeps the
        default absolute floor, so ``5%`` on a 10-credit auction still moves by at least 1.
        """
        raw = text.strip().replace(",", "").replace("_", "")
        help_text = "Write the increment as an amount such as `10` or a percentage such as `5%`."
        if raw.endswith("%"):
            number = raw[:-1].strip()
            if not _DIGITS.fullmatch(number) or len(number) > 4:
                raise InvalidInput(f"`{quote(text)}` is not a percentage. {help_text}")
            return cls(absolute=default.absolute, percent=int(number))
        if not _DIGITS.fullmatch(raw):
            raise InvalidInput(f"`{quote(text)}` is not an increment. {help_text}")
        return cls(absolute=int(raw), percent=0)
