"""Handles: the names being sold, their normalisation and each platform's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.domain.errors import InvalidHandle, InvalidInput
from bot.domain.text import quote

Platform = Literal["x", "telegram", "instagram", "generic"]
PLATFORMS: tuple[Platform, ...] = ("x", "telegram", "instagram", "generic")
PLATFORM_NAMES: dict[str, str] = {
    "x": "X",
    "telegram": "Telegram",
    "instagram": "Instagram",
    "generic": "handle",
}
# Names Discord reads as a mention of the whole server wherever they appear after an @:
# never auctioned, whatever the reserved list says.
NEVER_AUCTIONED = frozenset({"everyone", "here"})
_CLASS_BODY = re.compile(r"[!-Z^-~]{1,64}")  # printable ASCII but [ \\ ] (and no spaces)
# Longer than any platform allows; keeps a pasted essay out of error messages and the database.
_HARD_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Handle:
    """A handle as listed. ``key`` is its identity (case-insensitive); ``display`` keeps the casing."""

    display: str = field(compare=False)
    key: str

    def __str__(self) -> str:
        return f"@{self.display}"


def normalise(raw: str) -> str:
    """Drop surrounding whitespace and one leading ``@``."""
    text = raw.strip()
    return text[1:] if text.startswith("@") else text


def handle_key(raw: str) -> str:
    """The identity of a handle as typed by a user, without validating it (for look-ups)."""
    return normalise(raw).casefold()


@dataclass(frozen=True, slots=True)
class GenericRules:
    """Rules for ``platform = "generic"``: a length range and a regex character class."""

    min_length: int = 1
    max_length: int = 32
    characters: str = "A-Za-z0-9_."

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length <= _HARD_MAX_LENGTH:
            raise InvalidInput(
                f"Generic handle lengths must satisfy 1 <= min_length <= max_length <= "
                f"{_HARD_MAX_LENGTH}."
            )
        # Only the inside of one character class: '[', ']' or '\\' could close it or escape
        # out of it and make the pattern a different, possibly catastrophically slow, regular
        # expression (server admins set this with /settings).
        if not _CLASS_BODY.fullmatch(self.characters):
            raise InvalidInput(
                f"`{quote(self.characters)}` is not allowed: list the characters and ranges "
                "like a-z, at most 64, without spaces, [ ] or \\ (e.g. A-Za-z0-9_.)."
            )
        try:
            re.compile(f"[{self.characters}]")
        except re.error as exc:
            raise InvalidInput(
                f"`{self.characters}` is not a valid character class: {exc}"
            ) from exc


@dataclass(frozen=True, slots=True)
class HandlePolicy:
    """Validates handles for the platform whose names this server sells."""

    platform: Platform = "x"
    reserved: frozenset[str] = frozenset()
    generic: GenericRules = GenericRules()
    # Brand and famous names: listed only by a moderator who overrides, with a reason.
    brands: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise InvalidInput(f"Unknown platform `{self.platform}`; use one of {PLATFORMS}.")
        object.__setattr__(self, "reserved", frozenset(handle_key(r) for r in self.reserved))
        object.__setattr__(self, "brands", frozenset(handle_key(b) for b in self.brands))

    @property
    def platform_name(self) -> str:
        return PLATFORM_NAMES[self.platform]

    def parse(self, raw: str) -> Handle:
        """Return the handle ``raw`` names, or raise ``InvalidHandle`` naming the broken rule."""
        name = normalise(raw)
        shown = quote(name)
        if not name:
            raise InvalidHandle("The handle is empty: write it like `@ogname` or `ogname`.")
        if len(name) > _HARD_MAX_LENGTH:
            raise InvalidHandle(
                f"That handle is {len(name)} characters long; "
                f"{self.platform_name} handles are much shorter."
            )
        if name.casefold() in NEVER_AUCTIONED:
            raise InvalidHandle(
                f"`@{shown}` can't be auctioned: Discord reads it as a mention of everyone."
            )
        rule_broken = getattr(self, f"_check_{self.platform}")(name)
        if rule_broken:
            raise InvalidHandle(
                f"`@{shown}` is not a valid {self.platform_name} handle: {rule_broken}"
            )
        key = name.casefold()
        if key in self.reserved:
            raise InvalidHandle(f"`@{shown}` is reserved on this server and cannot be auctioned.")
        return Handle(display=name, key=key)

    @staticmethod
    def _length(name: str, low: int, high: int) -> str | None:
        if not low <= len(name) <= high:
            return f"it must be {low}-{high} characters long (it has {len(name)})."
        return None

    def _check_x(self, name: str) -> str | None:
        if bad := self._length(name, 1, 15):
            return bad
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            return "only letters A-Z, digits and underscores are allowed."
        return None

    def _check_telegram(self, name: str) -> str | None:
        if bad := self._length(name, 5, 32):
            return bad
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            return "only letters A-Z, digits and underscores are allowed."
        if not name[0].isascii() or not name[0].isalpha():
            return "it must start with a letter."
        if name.endswith("_"):
            return "it must not end with an underscore."
        return None

    def _check_instagram(self, name: str) -> str | None:
        if bad := self._length(name, 1, 30):
            return bad
        if not re.fullmatch(r"[A-Za-z0-9._]+", name):
            return "only letters a-z, digits, periods and underscores are allowed."
        if name != name.lower():
            return f"Instagram handles are lowercase: list it as `@{name.lower()}`."
        if name.startswith(".") or name.endswith("."):
            return "it must not start or end with a period."
        if ".." in name:
            return "it must not contain two periods in a row."
        return None

    def _check_generic(self, name: str) -> str | None:
        rules = self.generic
        if bad := self._length(name, rules.min_length, rules.max_length):
            return bad
        if not re.fullmatch(f"[{rules.characters}]+", name):
            return f"only the characters [{rules.characters}] are allowed."
        return None
