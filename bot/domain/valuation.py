"""Valuation hints: how prized a handle looks, and a starting bid to suggest for it.

Pure rules: the English word frequencies come in as a ``zipf`` function and the server's past
sale prices as a list, so nothing here reads a file or a database. The score is a hint for
moderators, not a price: every point it gives is listed with the rule that gave it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SEPARATORS = frozenset("_.")
# A contained brand this short would match by accident ('ace' in 'spacecraft').
MIN_CONTAINED_BRAND = 4
MAX_SCORE = 100
# Points per length; longer handles than the table lists get nothing for their length.
_LENGTH_POINTS = {1: 40, 2: 36, 3: 32, 4: 24, 5: 18, 6: 12, 7: 8, 8: 5, 9: 2, 10: 2}
_OG_LENGTH = 3  # this short and it is an "O.G." handle
_ALL_DIGITS = 10
_ALL_LETTERS = 8
_ALL_SAME = 15
_RUN = 5
_RUN_LENGTH = 3
_PALINDROME = 8
_PALINDROME_LENGTH = 3
# (lowest Zipf frequency, points, how the reason calls the word), most common first.
_WORD_BANDS: tuple[tuple[float, int, str], ...] = (
    (5.0, 25, "a common English word"),
    (4.0, 18, "a well-known English word"),
    (3.0, 10, "an English word"),
    (2.0, 4, "a rare English word"),
)
_BRAND = 15
_SEPARATOR = -5


@dataclass(frozen=True, slots=True)
class Features:
    """What a handle's score is computed from (see ``features``)."""

    length: int
    all_digits: bool
    all_letters: bool
    all_same: bool  # 'aaa', '777' (length >= 2)
    has_run: bool  # a run of 3+ same characters somewhere
    palindrome: bool  # length >= 3 and reads the same backwards (case-insensitive)
    separators: int  # count of '_' and '.'
    zipf: float  # English Zipf frequency (0 if not a word, not all letters or one character)
    brand: str | None  # the brand it matches, if any


@dataclass(frozen=True, slots=True)
class Valuation:
    """A score from 0 to 100 and the moderator-facing reasons that add up to it."""

    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LengthClass:
    """Handles whose lengths are close enough for their sale prices to be compared."""

    shortest: int
    longest: int | None  # None: no upper bound

    @property
    def name(self) -> str:
        if self.longest is None:
            return f"{self.shortest}+"
        return f"{self.shortest}-{self.longest}"

    @property
    def label(self) -> str:
        return f"{self.name} characters"

    def contains(self, length: int) -> bool:
        return self.shortest <= length and (self.longest is None or length <= self.longest)


LENGTH_CLASSES: tuple[LengthClass, ...] = (
    LengthClass(1, 3),
    LengthClass(4, 5),
    LengthClass(6, 8),
    LengthClass(9, None),
)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A starting bid to suggest, and where the number came from (for the moderator)."""

    amount: int
    basis: str


def brand_match(key: str, brands: frozenset[str]) -> str | None:
    """The brand ``key`` is or contains, or None.

    A key matches a brand it equals, or one of 4+ characters it contains ('nikeshop' matches
    'nike'). Of several contained brands the longest wins, then the first alphabetically, so the
    answer does not depend on the set's order.
    """
    folded = key.casefold()
    names = {brand.casefold() for brand in brands if brand}
    if folded in names:
        return folded
    contained = [b for b in names if len(b) >= MIN_CONTAINED_BRAND and b in folded]
    if not contained:
        return None
    return min(contained, key=lambda b: (-len(b), b))


def _longest_run(text: str) -> int:
    longest = current = 0
    previous = ""
    for char in text:
        current = current + 1 if char == previous else 1
        previous = char
        longest = max(longest, current)
    return longest


def features(key: str, *, brands: frozenset[str], zipf: Callable[[str], float]) -> Features:
    """Measure a handle key (casefolded, without the ``@``).

    ``zipf`` gives a word's English Zipf frequency; it is asked only about keys of two or more
    letters, since single letters ('a', 'i') are words by frequency but not as handles.
    """
    if not key:
        raise ValueError("A handle key has at least one character.")
    folded = key.casefold()
    length = len(key)
    all_letters = key.isalpha()
    return Features(
        length=length,
        all_digits=key.isdecimal(),
        all_letters=all_letters,
        all_same=length >= 2 and len(set(folded)) == 1,
        has_run=_longest_run(folded) >= _RUN_LENGTH,
        palindrome=length >= _PALINDROME_LENGTH and folded == folded[::-1],
        separators=sum(char in SEPARATORS for char in key),
        zipf=max(0.0, zipf(folded)) if all_letters and length >= 2 else 0.0,
        brand=brand_match(folded, brands),
    )


def length_points(length: int) -> int:
    """Points for length alone: never more for a longer handle."""
    if length <= 1:
        return _LENGTH_POINTS[1]
    return _LENGTH_POINTS.get(length, 0)


def _signed(points: int) -> str:
    return f"+{points}" if points >= 0 else str(points)


def _shown_zipf(zipf: float) -> str:
    # Rounded down, so a 4.97 that earned the 4+ band is not shown as "5.0".
    return f"{math.floor(zipf * 10) / 10:.1f}"


def score(f: Features) -> Valuation:
    """Add up the points of every rule the features meet, held to 0..100."""
    parts: list[tuple[int, str]] = []

    points = length_points(f.length)
    if points:
        chars = "character" if f.length == 1 else "characters"
        og = ": an O.G. handle" if f.length <= _OG_LENGTH else ""
        parts.append((points, f"{f.length} {chars}{og} ({_signed(points)})"))
    if f.all_digits:
        parts.append((_ALL_DIGITS, f"all digits ({_signed(_ALL_DIGITS)})"))
    if f.all_letters:
        parts.append((_ALL_LETTERS, f"all letters ({_signed(_ALL_LETTERS)})"))
    if f.all_same:
        parts.append((_ALL_SAME, f"one character repeated ({_signed(_ALL_SAME)})"))
    elif f.has_run:
        parts.append((_RUN, f"a run of 3 or more of the same character ({_signed(_RUN)})"))
    if f.palindrome:
        parts.append((_PALINDROME, f"a palindrome ({_signed(_PALINDROME)})"))
    # features() leaves zipf at 0 for single characters, so a shorter handle never loses this.
    if f.all_letters:
        for lowest, points, what in _WORD_BANDS:
            if f.zipf >= lowest:
                parts.append((points, f"{what} (Zipf {_shown_zipf(f.zipf)}, {_signed(points)})"))
                break
    if f.brand is not None:
        parts.append((_BRAND, f"matches the brand '{f.brand}' ({_signed(_BRAND)}; needs override)"))
    if f.separators:
        points = _SEPARATOR * f.separators
        what = "separator" if f.separators == 1 else "separators"
        parts.append((points, f"{f.separators} {what} ('_' or '.') ({_signed(points)})"))

    total = sum(points for points, _ in parts)
    reasons = [reason for _, reason in parts]
    clamped = min(MAX_SCORE, max(0, total))
    if clamped != total:
        reasons.append(f"the total {total} is held to {clamped}")
    return Valuation(score=clamped, reasons=tuple(reasons))


def value_handle(key: str, *, brands: frozenset[str], zipf: Callable[[str], float]) -> Valuation:
    """``score(features(key, ...))``."""
    return score(features(key, brands=brands, zipf=zipf))


def length_class_of(length: int) -> LengthClass:
    """The class of handles whose sale prices are compared with one of ``length`` characters."""
    for length_cls in LENGTH_CLASSES:
        if length_cls.contains(length):
            return length_cls
    raise ValueError(f"A handle has at least one character, not {length}.")


def length_class(length: int) -> str:
    """The label of a length's class: '1-3 characters', '4-5 characters', '6-8 ...' or '9+ ...'."""
    return length_class_of(length).label


def _median(values: Sequence[int]) -> int:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def _two_significant_figures(value: float) -> int:
    # Round half to even within each decade; the result never decreases as value grows.
    if value < 10:
        return round(value)
    unit: int = 10 ** (math.floor(math.log10(value)) - 1)  # value >= 10: a whole power
    return round(value / unit) * unit


def scaled_price(base_price: int, score: int) -> float:
    """The base price doubled for every 20 points of score (score 0 gives the base price)."""
    return base_price * 2 ** (score / 20)


def suggest_starting_bid(
    valuation: Valuation,
    length: int,
    *,
    sold_prices: Sequence[int],
    base_price: int,
    min_sales: int,
    max_amount: int,
) -> Suggestion:
    """Suggest a starting bid for a handle of ``length`` characters valued ``valuation``.

    ``sold_prices`` are this server's sale prices of handles in the same length class. With at
    least ``min_sales`` of them the suggestion is their median; otherwise it is ``base_price``
    scaled by the score, rounded to two significant figures. Either way it is kept to
    1..``max_amount``.
    """
    if base_price < 1 or min_sales < 1 or max_amount < 1:
        raise ValueError("base_price, min_sales and max_amount must each be at least 1.")
    kind = f"{length_class_of(length).name} character handles"
    sales = len(sold_prices)
    if sales >= min_sales:
        amount = _median(sold_prices)
        basis = f"the median of {sales} sale{'' if sales == 1 else 's'} of {kind} on this server"
    else:
        amount = _two_significant_figures(scaled_price(base_price, valuation.score))
        basis = (
            f"the base price {base_price:,} scaled by the score {valuation.score} "
            f"(fewer than {min_sales} sale{'' if min_sales == 1 else 's'} of {kind} here)"
        )
    if amount > max_amount:
        return Suggestion(max_amount, f"{basis}, capped at the maximum {max_amount:,}")
    return Suggestion(max(1, amount), basis)
