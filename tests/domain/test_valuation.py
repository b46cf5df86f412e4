"""Valuation hints: one test per scoring rule, brand matching, suggestions, and invariants."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.valuation import (
    LENGTH_CLASSES,
    Features,
    Valuation,
    brand_match,
    features,
    length_class,
    length_class_of,
    score,
    suggest_starting_bid,
    value_handle,
)

# Made-up frequencies, so these tests do not depend on wordfreq's lists.
WORDS = {"the": 7.0, "house": 5.2, "castle": 4.5, "quill": 3.4, "gloam": 2.3, "a": 7.5}
NO_BRANDS: frozenset[str] = frozenset()
BRANDS = frozenset({"nike", "hp", "apple"})


def fake_zipf(word: str) -> float:
    return WORDS.get(word, 0.0)


def plain(length: int = 12, **changes: object) -> Features:
    """Features that meet no rule but the length."""
    base = Features(
        length=length,
        all_digits=False,
        all_letters=False,
        all_same=False,
        has_run=False,
        palindrome=False,
        separators=0,
        zipf=0.0,
        brand=None,
    )
    return replace(base, **changes)


def value(key: str, brands: frozenset[str] = NO_BRANDS) -> Valuation:
    return value_handle(key, brands=brands, zipf=fake_zipf)


# --- features ---------------------------------------------------------------------------


def test_features_of_a_mixed_handle() -> None:
    f = features("ab1_x.y", brands=NO_BRANDS, zipf=fake_zipf)
    assert f == Features(
        length=7,
        all_digits=False,
        all_letters=False,
        all_same=False,
        has_run=False,
        palindrome=False,
        separators=2,
        zipf=0.0,
        brand=None,
    )


def test_features_flags() -> None:
    assert features("777", brands=NO_BRANDS, zipf=fake_zipf).all_digits
    assert features("house", brands=NO_BRANDS, zipf=fake_zipf).all_letters
    assert features("aa", brands=NO_BRANDS, zipf=fake_zipf).all_same
    assert not features("a", brands=NO_BRANDS, zipf=fake_zipf).all_same
    assert not features("aa", brands=NO_BRANDS, zipf=fake_zipf).has_run
    assert features("x999y", brands=NO_BRANDS, zipf=fake_zipf).has_run
    assert features("Level", brands=NO_BRANDS, zipf=fake_zipf).palindrome
    assert not features("aa", brands=NO_BRANDS, zipf=fake_zipf).palindrome
    assert features("nikeshop", brands=BRANDS, zipf=fake_zipf).brand == "nike"


def test_zipf_is_asked_only_about_words_of_two_or_more_letters() -> None:
    asked: list[str] = []

    def recording(word: str) -> float:
        asked.append(word)
        return 6.0

    assert features("a", brands=NO_BRANDS, zipf=recording).zipf == 0
    assert features("the_1", brands=NO_BRANDS, zipf=recording).zipf == 0
    assert features("The", brands=NO_BRANDS, zipf=recording).zipf == 6.0
    assert asked == ["the"]


def test_features_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="at least one character"):
        features("", brands=NO_BRANDS, zipf=fake_zipf)


# --- one rule at a time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "points"),
    [(1, 40), (2, 36), (3, 32), (4, 24), (5, 18), (6, 12), (7, 8), (8, 5), (9, 2), (10, 2)],
)
def test_length_points(length: int, points: int) -> None:
    assert score(plain(length)).score == points


def test_length_reason_names_og_handles() -> None:
    assert score(plain(3)).reasons == ("3 characters: an O.G. handle (+32)",)
    assert score(plain(1)).reasons == ("1 character: an O.G. handle (+40)",)
    assert score(plain(5)).reasons == ("5 characters (+18)",)


def test_long_handles_get_nothing_for_length() -> None:
    assert score(plain(11)) == Valuation(score=0, reasons=())


def test_all_digits() -> None:
    assert score(plain(all_digits=True)) == Valuation(10, ("all digits (+10)",))


def test_all_letters() -> None:
    assert score(plain(all_letters=True)) == Valuation(8, ("all letters (+8)",))


def test_all_same_character() -> None:
    assert score(plain(all_same=True)) == Valuation(15, ("one character repeated (+15)",))


def test_run_of_three() -> None:
    assert score(plain(has_run=True)) == Valuation(
        5, ("a run of 3 or more of the same character (+5)",)
    )


def test_all_same_replaces_the_run_bonus() -> None:
    assert score(plain(all_same=True, has_run=True)).score == 15


def test_palindrome() -> None:
    assert score(plain(palindrome=True)) == Valuation(8, ("a palindrome (+8)",))


@pytest.mark.parametrize(
    ("zipf", "points", "reason"),
    [
        (5.1, 25, "a common English word (Zipf 5.1, +25)"),
        (4.97, 18, "a well-known English word (Zipf 4.9, +18)"),
        (3.0, 10, "an English word (Zipf 3.0, +10)"),
        (2.5, 4, "a rare English word (Zipf 2.5, +4)"),
    ],
)
def test_common_word(zipf: float, points: int, reason: str) -> None:
    assert score(plain(all_letters=True, zipf=zipf)) == Valuation(
        8 + points, ("all letters (+8)", reason)
    )


def test_word_bonus_needs_zipf_two_and_all_letters() -> None:
    assert score(plain(all_letters=True, zipf=1.9)).score == 8
    assert score(plain(zipf=6.0)).score == 0


def test_brand() -> None:
    assert score(plain(brand="nike")) == Valuation(
        15, ("matches the brand 'nike' (+15; needs override)",)
    )


def test_each_separator_costs_five() -> None:
    assert score(plain(8, separators=1)) == Valuation(
        0, ("8 characters (+5)", "1 separator ('_' or '.') (-5)")
    )
    assert score(plain(4, separators=2)) == Valuation(
        14, ("4 characters (+24)", "2 separators ('_' or '.') (-10)")
    )


def test_total_is_held_to_zero_and_to_a_hundred() -> None:
    low = score(plain(9, separators=3))
    assert low.score == 0
    assert low.reasons[-1] == "the total -13 is held to 0"
    high = score(
        plain(
            3, all_letters=True, all_same=True, palindrome=True, zipf=6.0, brand="zzz", has_run=True
        )
    )
    assert high.score == 100
    assert high.reasons[-1] == "the total 103 is held to 100"


def test_value_handle_lists_every_rule_that_applied() -> None:
    assert value("house") == Valuation(
        18 + 8 + 25,
        ("5 characters (+18)", "all letters (+8)", "a common English word (Zipf 5.2, +25)"),
    )
    assert value("777") == Valuation(
        32 + 10 + 15 + 8,
        (
            "3 characters: an O.G. handle (+32)",
            "all digits (+10)",
            "one character repeated (+15)",
            "a palindrome (+8)",
        ),
    )
    assert value("nike_", BRANDS).reasons == (
        "5 characters (+18)",
        "matches the brand 'nike' (+15; needs override)",
        "1 separator ('_' or '.') (-5)",
    )


# --- brands ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("nike", "nike"),
        ("nikeshop", "nike"),
        ("the_nike_store", "nike"),
        ("hp", "hp"),
        ("hpshop", None),  # contained brands must have 4+ characters
        ("nik", None),
        ("applenike", "apple"),  # the longest contained brand wins
        ("NIKE", "nike"),
        ("ogname", None),
    ],
)
def test_brand_match(key: str, expected: str | None) -> None:
    assert brand_match(key, BRANDS) == expected


def test_brand_match_folds_the_brand_list_and_ignores_empty_entries() -> None:
    assert brand_match("adidas", frozenset({"Adidas", ""})) == "adidas"
    assert brand_match("anything", frozenset({""})) is None


def test_brand_match_ties_break_alphabetically() -> None:
    assert brand_match("bbbbaaaa", frozenset({"bbbb", "aaaa"})) == "aaaa"


# --- length classes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "label"),
    [
        (1, "1-3 characters"),
        (3, "1-3 characters"),
        (4, "4-5 characters"),
        (5, "4-5 characters"),
        (6, "6-8 characters"),
        (8, "6-8 characters"),
        (9, "9+ characters"),
        (30, "9+ characters"),
    ],
)
def test_length_class(length: int, label: str) -> None:
    assert length_class(length) == label


def test_length_classes_cover_every_length_once() -> None:
    for length in range(1, 70):
        assert sum(c.contains(length) for c in LENGTH_CLASSES) == 1
    with pytest.raises(ValueError, match="at least one character"):
        length_class_of(0)


# --- suggestions ----------------------------------------------------------------------------


def suggest(
    points: int,
    *,
    length: int = 3,
    sold: list[int] | None = None,
    base: int = 100,
    min_sales: int = 5,
    max_amount: int = 10**12,
) -> tuple[int, str]:
    suggestion = suggest_starting_bid(
        Valuation(points, ()),
        length,
        sold_prices=sold or [],
        base_price=base,
        min_sales=min_sales,
        max_amount=max_amount,
    )
    return suggestion.amount, suggestion.basis


def test_suggestion_from_the_median_of_enough_sales() -> None:
    assert suggest(82, sold=[500, 100, 900, 300, 700, 200, 400]) == (
        400,
        "the median of 7 sales of 1-3 character handles on this server",
    )


def test_median_of_an_even_number_of_sales_is_a_whole_number() -> None:
    amount, _ = suggest(0, length=6, sold=[100, 201], min_sales=2)
    assert amount == 150


def test_one_sale_is_named_in_the_singular() -> None:
    assert suggest(0, length=9, sold=[70], min_sales=1) == (
        70,
        "the median of 1 sale of 9+ character handles on this server",
    )


def test_suggestion_from_the_base_price_without_enough_sales() -> None:
    # 100 * 2 ** (82 / 20) = 1713.0..., two significant figures: 1700.
    assert suggest(82, sold=[500, 600]) == (
        1700,
        "the base price 100 scaled by the score 82 (fewer than 5 sales of 1-3 character handles here)",
    )


def test_base_price_at_score_zero_is_the_base_price() -> None:
    assert suggest(0, base=37)[0] == 37
    assert suggest(0, base=1)[0] == 1


def test_suggestion_is_capped_at_the_maximum() -> None:
    amount, basis = suggest(100, base=1000, max_amount=5000)
    assert amount == 5000
    assert basis.endswith("capped at the maximum 5,000")
    assert suggest(0, sold=[9000] * 5, max_amount=5000)[0] == 5000


def test_suggestion_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        suggest(50, base=0)
    with pytest.raises(ValueError, match="at least 1"):
        suggest(50, min_sales=0)


# --- invariants -----------------------------------------------------------------------------

features_strategy = st.builds(
    Features,
    length=st.integers(0, 70),
    all_digits=st.booleans(),
    all_letters=st.booleans(),
    all_same=st.booleans(),
    has_run=st.booleans(),
    palindrome=st.booleans(),
    separators=st.integers(0, 30),
    zipf=st.floats(0, 8, allow_nan=False),
    brand=st.one_of(st.none(), st.sampled_from(["nike", "apple"])),
)


@given(features_strategy, st.integers(0, 70))
def test_shorter_never_scores_lower(f: Features, other_length: int) -> None:
    shorter, longer = sorted((f.length, other_length))
    assert score(replace(f, length=shorter)).score >= score(replace(f, length=longer)).score


@given(features_strategy)
def test_score_is_within_0_and_100(f: Features) -> None:
    assert 0 <= score(f).score <= 100


@given(st.text(alphabet="abz019_.", min_size=1, max_size=20))
def test_value_handle_is_within_0_and_100(key: str) -> None:
    assert 0 <= value(key, BRANDS).score <= 100


@given(
    st.integers(0, 100),
    st.integers(0, 100),
    st.integers(1, 10**6),
    st.integers(1, 10**12),
    st.integers(1, 30),
)
def test_suggestion_is_monotone_in_score(
    first: int, second: int, base: int, max_amount: int, length: int
) -> None:
    low, high = sorted((first, second))
    low_amount, _ = suggest(low, length=length, base=base, max_amount=max_amount)
    high_amount, _ = suggest(high, length=length, base=base, max_amount=max_amount)
    assert 1 <= low_amount <= high_amount <= max_amount
