"""The bot's configuration: one TOML file parsed into frozen dataclasses, every value checked.

Only the entry point calls ``load_config``; everything else receives the parts it needs.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from bot.domain.access import AccessPolicy
from bot.domain.durations import parse_duration
from bot.domain.errors import AuctionError
from bot.domain.handles import PLATFORMS, GenericRules, HandlePolicy
from bot.domain.money import DEFAULT_MAX_AMOUNT, Currency, IncrementRule
from bot.storage.database import Synchronous

TOKEN_ENV = "DISCORD_TOKEN"
MAX_CONFIG_DURATION = timedelta(days=365)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and what it should be."""


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str = field(default="", repr=False)
    guild_ids: tuple[int, ...] = ()
    auction_channel_id: int | None = None
    audit_channel_id: int | None = None
    post_edit_interval: timedelta = timedelta(seconds=3)


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    path: Path = Path("data/auctions.db")
    synchronous: Synchronous = "normal"


@dataclass(frozen=True, slots=True)
class AuctionSettings:
    """The house rules every auction starts from (increment can be overridden per auction)."""

    currency: Currency = Currency()
    increment: IncrementRule = IncrementRule()
    anti_snipe_window: timedelta = timedelta(minutes=2)
    anti_snipe_extension: timedelta = timedelta(minutes=2)
    max_extensions: int = 0
    min_duration: timedelta = timedelta(minutes=1)
    max_duration: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    retry_base: timedelta = timedelta(seconds=2)
    retry_max: timedelta = timedelta(minutes=10)
    max_attempts: int = 12


@dataclass(frozen=True, slots=True)
class Config:
    discord: DiscordSettings = DiscordSettings()
    database: DatabaseSettings = DatabaseSettings()
    handles: HandlePolicy = HandlePolicy()
    auctions: AuctionSettings = AuctionSettings()
    access: AccessPolicy = AccessPolicy()
    outbox: OutboxSettings = OutboxSettings()
    source: Path | None = field(default=None, compare=False)


KNOWN_KEYS: dict[str, set[str]] = {
    "discord": {
        "token", "guild_ids", "auction_channel_id", "audit_channel_id", "post_edit_interval",
    },
    "database": {"path", "synchronous"},
    "handles": {"platform", "reserved", "generic"},
    "handles.generic": {"min_length", "max_length", "characters"},
    "currency": {"name", "max_amount"},
    "bidding": {
        "increment_absolute", "increment_percent", "anti_snipe_window", "anti_snipe_extension",
        "max_extensions",
    },
    "auctions": {"min_duration", "max_duration"},
    "permissions": {"moderator_role_ids", "bidder_role_ids"},
    "outbox": {"retry_base", "retry_max", "max_attempts"},
}  # fmt: skip


class _Section:
    """Typed reads from one TOML table; every error names ``[section].key``."""

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        self.name = name
        self.data = data
        unknown = sorted(set(data) - KNOWN_KEYS[name])
        if unknown:
            allowed = ", ".join(sorted(KNOWN_KEYS[name]))
            raise ConfigError(f"[{name}] has unknown key '{unknown[0]}'; known keys: {allowed}.")

    def _where(self, key: str) -> str:
        return f"[{self.name}].{key}"

    def integer(self, key: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self._where(key)} must be a whole number, not {value!r}.")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"{self._where(key)} must be {bound}, not {value}.")
        return value

    def snowflake(self, key: str) -> int | None:
        value = self.integer(key, 0)
        return value or None

    def snowflakes(self, key: str) -> tuple[int, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
        ):
            raise ConfigError(f"{self._where(key)} must be a list of Discord ids (numbers).")
        return tuple(value)

    def text(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise ConfigError(f"{self._where(key)} must be a string, not {value!r}.")
        return value

    def duration(self, key: str, default: timedelta) -> timedelta:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise ConfigError(f'{self._where(key)} must be a duration string such as "5m".')
        try:
            duration = parse_duration(value)
        except AuctionError as exc:
            raise ConfigError(f"{self._where(key)}: {exc}") from exc
        if duration > MAX_CONFIG_DURATION:
            raise ConfigError(f"{self._where(key)} must be at most 365d, not {value}.")
        return duration


def _table(raw: Mapping[str, Any], name: str) -> _Section:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table.")
    return _Section(name, value)


def _handle_policy(handles: _Section) -> HandlePolicy:
    platform = handles.text("platform", "x").lower()
    if platform not in PLATFORMS:
        raise ConfigError(
            f"[handles].platform must be one of {', '.join(PLATFORMS)}, not {platform!r}."
        )
    reserved = handles.data.get("reserved", [])
    if not isinstance(reserved, list) or not all(isinstance(r, str) for r in reserved):
        raise ConfigError("[handles].reserved must be a list of strings.")
    generic_raw = handles.data.get("generic", {})
    if not isinstance(generic_raw, dict):
        raise ConfigError("[handles.generic] must be a table.")
    generic = _Section("handles.generic", generic_raw)
    try:
        generic_rules = GenericRules(
            min_length=generic.integer("min_length", 1, low=1),
            max_length=generic.integer("max_length", 32, low=1),
            characters=generic.text("characters", "A-Za-z0-9_."),
        )
    except AuctionError as exc:
        raise ConfigError(f"[handles.generic]: {exc}") from exc
    return HandlePolicy(platform=platform, reserved=frozenset(reserved), generic=generic_rules)


def parse_config(
    raw: Mapping[str, Any], *, base_dir: Path, environ: Mapping[str, str] | None = None
) -> Config:
    """Build a ``Config`` from parsed TOML. Relative paths are relative to ``base_dir``."""
    unknown = sorted(set(raw) - {k for k in KNOWN_KEYS if "." not in k})
    if unknown:
        raise ConfigError(f"Unknown section [{unknown[0]}]; see config.example.toml.")
    environ = os.environ if environ is None else environ

    discord = _table(raw, "discord")
    token = environ.get(TOKEN_ENV, "").strip() or discord.text("token", "").strip()
    interval = discord.duration("post_edit_interval", timedelta(seconds=3))
    discord_settings = DiscordSettings(
        token=token,
        guild_ids=discord.snowflakes("guild_ids"),
        auction_channel_id=discord.snowflake("auction_channel_id"),
        audit_channel_id=discord.snowflake("audit_channel_id"),
        post_edit_interval=interval,
    )

    database = _table(raw, "database")
    path = Path(database.text("path", "data/auctions.db"))
    synchronous = database.text("synchronous", "normal").lower()
    if synchronous not in {"off", "normal", "full", "extra"}:
        raise ConfigError('[database].synchronous must be "normal", "full", "extra" or "off".')
    database_settings = DatabaseSettings(
        path=path if path.is_absolute() else base_dir / path,
        synchronous=cast(Synchronous, synchronous),
    )

    handle_policy = _handle_policy(_table(raw, "handles"))

    currency = _table(raw, "currency")
    name = currency.text("name", "credits").strip()
    if not name or len(name) > 32:
        raise ConfigError('[currency].name must be 1-32 characters, such as "credits".')
    currency_value = Currency(
        name=name,
        max_amount=currency.integer("max_amount", DEFAULT_MAX_AMOUNT, low=1, high=2**62),
    )

    bidding = _table(raw, "bidding")
    try:
        increment = IncrementRule(
            absolute=bidding.integer("increment_absolute", 1, low=1),
            percent=bidding.integer("increment_percent", 5, low=0, high=1000),
        )
    except AuctionError as exc:
        raise ConfigError(f"[bidding]: {exc}") from exc

    auctions = _table(raw, "auctions")
    min_duration = auctions.duration("min_duration", timedelta(minutes=1))
    max_duration = auctions.duration("max_duration", timedelta(days=30))
    if min_duration > max_duration:
        raise ConfigError("[auctions].min_duration must not be longer than max_duration.")
    auction_settings = AuctionSettings(
        currency=currency_value,
        increment=increment,
        anti_snipe_window=bidding.duration("anti_snipe_window", timedelta(minutes=2)),
        anti_snipe_extension=bidding.duration("anti_snipe_extension", timedelta(minutes=2)),
        max_extensions=bidding.integer("max_extensions", 0, low=0),
        min_duration=min_duration,
        max_duration=max_duration,
    )

    permissions = _table(raw, "permissions")
    access = AccessPolicy(
        moderator_role_ids=frozenset(permissions.snowflakes("moderator_role_ids")),
        bidder_role_ids=frozenset(permissions.snowflakes("bidder_role_ids")),
    )

    outbox = _table(raw, "outbox")
    outbox_settings = OutboxSettings(
        retry_base=outbox.duration("retry_base", timedelta(seconds=2)),
        retry_max=outbox.duration("retry_max", timedelta(minutes=10)),
        max_attempts=outbox.integer("max_attempts", 12, low=1),
    )
    return Config(
        discord=discord_settings,
        database=database_settings,
        handles=handle_policy,
        auctions=auction_settings,
        access=access,
        outbox=outbox_settings,
    )


def load_config(
    path: str | Path, *, environ: Mapping[str, str] | None = None, require_token: bool = True
) -> Config:
    """Read and check the TOML file at ``path``; raise ``ConfigError`` with one clear line."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"Config file {path} not found; copy config.example.toml to {path} and edit it."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    config = parse_config(raw, base_dir=path.resolve().parent, environ=environ)
    if require_token and not config.discord.token:
        raise ConfigError(
            f"No bot token: set the {TOKEN_ENV} environment variable "
            "(or [discord].token in the config file)."
        )
    return replace(config, source=path)
