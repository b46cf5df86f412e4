from __future__ import annotations

import pytest

from bot.domain.errors import InvalidHandle, InvalidInput
from bot.domain.handles import GenericRules, HandlePolicy, handle_key

X = HandlePolicy(platform="x", reserved=frozenset({"admin", "@Support"}))
TELEGRAM = HandlePolicy(platform="telegram")
INSTAGRAM = HandlePolicy(platform="instagram")


def test_leading_at_is_dropped_and_identity_ignores_case() -> None:
    first = X.parse("@OGName")
    second = X.parse("ogname")
    assert first.display == "OGName"
    assert first.key == second.key == "ogname"
    assert str(first) == "@OGName"
    assert handle_key("  @OGNAME ") == "ogname"


@pytest.mark.parametrize("name", ["a", "abc", "x_1", "A" * 15, "___"])
def test_x_accepts(name: str) -> None:
    assert X.parse(name).display == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("A" * 16, "1-15 characters"),
        ("bad-name", "letters A-Z, digits and underscores"),
        ("dot.name", "letters A-Z, digits and underscores"),
        ("ünï", "letters A-Z, digits and underscores"),
        ("", "empty"),
        ("@", "empty"),
    ],
)
def test_x_refuses_with_the_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidHandle, match=rule):
        X.parse(name)


@pytest.mark.parametrize("name", ["durov", "a1234", "Abc_de", "a" * 32])
def test_telegram_accepts(name: str) -> None:
    assert TELEGRAM.parse(name).display == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("abcd", "5-32 characters"),
        ("a" * 33, "5-32 characters"),
        ("1abcd", "start with a letter"),
        ("_abcd", "start with a letter"),
        ("abcde_", "end with an underscore"),
        ("ab.cde", "letters A-Z"),
    ],
)
def test_telegram_refuses_with_the_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidHandle, match=rule):
        TELEGRAM.parse(name)


@pytest.mark.parametrize("name", ["a", "og.name", "og_name", "a1.b2_c3", "x" * 30])
def test_instagram_accepts(name: str) -> None:
    assert INSTAGRAM.parse(name).display == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        (".og", "start or end with a period"),
        ("og.", "start or end with a period"),
        ("og..name", "two periods in a row"),
        ("x" * 31, "1-30 characters"),
        ("OGName", "lowercase"),
        ("og-name", "periods and underscores"),
    ],
)
def test_instagram_refuses_with_the_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidHandle, match=rule):
        INSTAGRAM.parse(name)


def test_generic_uses_configured_length_and_characters() -> None:
    policy = HandlePolicy(
        platform="generic", generic=GenericRules(min_length=2, max_length=4, characters="a-z")
    )
    assert policy.parse("abcd").key == "abcd"
    with pytest.raises(InvalidHandle, match="2-4 characters"):
        policy.parse("a")
    with pytest.raises(InvalidHandle, match=r"\[a-z\]"):
        policy.parse("ab1")


def test_generic_rules_are_checked() -> None:
    with pytest.raises(InvalidInput):
        GenericRules(min_length=5, max_length=2)
    with pytest.raises(InvalidInput):
        GenericRules(characters="z-a")  # a reversed range is not a character class


def test_reserved_names_are_refused_whatever_the_case() -> None:
    with pytest.raises(InvalidHandle, match="reserved"):
        X.parse("@ADMIN")
    with pytest.raises(InvalidHandle, match="reserved"):
        X.parse("support")


def test_error_quotes_user_text_safely() -> None:
    with pytest.raises(InvalidHandle) as caught:
        X.parse("`evil`\n" + "x" * 100)
    message = str(caught.value)
    assert "`evil`" not in message
    assert "\n" not in message
    assert len(message) < 200


def test_handles_are_equal_by_identity() -> None:
    policy = HandlePolicy()
    assert policy.parse("@OGName") == policy.parse("ogname")
    assert len({policy.parse("A"), policy.parse("a")}) == 1


@pytest.mark.parametrize("platform", ["x", "telegram", "instagram", "generic"])
@pytest.mark.parametrize("name", ["everyone", "@here", "EVERYONE", "Here"])
def test_everyone_and_here_are_never_auctioned(platform: str, name: str) -> None:
    policy = HandlePolicy(
        platform=platform,  # type: ignore[arg-type]
        reserved=frozenset(),
        generic=GenericRules(min_length=1, max_length=32, characters="A-Za-z"),
    )
    with pytest.raises(InvalidHandle, match="mention of everyone"):
        policy.parse(name)


@pytest.mark.parametrize("characters", ["a]|(a+)+$|[a", "a-z\\d", "[a-z]", "a" * 65, "", "a b"])
def test_generic_characters_cannot_leave_the_character_class(characters: str) -> None:
    # Server admins set this with /settings: it must never become an arbitrary regex.
    with pytest.raises(InvalidInput, match="not allowed"):
        GenericRules(characters=characters)


def test_generic_characters_may_include_symbols_as_literals() -> None:
    policy = HandlePolicy(platform="generic", generic=GenericRules(characters="a-z|()+*"))
    assert policy.parse("a|b").key == "a|b"
    with pytest.raises(InvalidHandle):
        policy.parse("A")
