"""The bot's configuration: one TOML file parsed into frozen dataclasses, every value checked.

Only the entry point calls ``load_config``; everything else receives the parts it needs.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.delivery.dispatcher import MIN_GIVE_UP_AFTER, MIN_KEEP_DELIVERED, DeliverySettings
from bot.domain.access import AccessPolicy
from bot.domain.errors import AuctionError
from bot.domain.handles import HandlePolicy
from bot.domain.money import DEFAULT_MAX_AMOUNT, Currency
from bot.domain.payments import (
    MAX_DEFAULTS_TO_BAR,
    MAX_SECOND_CHANCES,
    MAX_TIERS,
    PaymentRules,
    TrustLimits,
    TrustTier,
    money_mode,
)
from bot.domain.relist import RelistPolicy
from bot.domain.settings import (
    MAX_CURRENCY_AMOUNT,
    MAX_EXTENSIONS,
    HouseRules,
    ServerSettings,
    StockRules,
    currency_name,
    deadline,
    duration,
    generic_rules,
    increment,
    platform,
    whole_number,
)

TOKEN_ENV = "DISCORD_TOKEN"
T = TypeVar("T")
SYNCHRONOUS_MODES = ("off", "normal", "full", "extra")
MIN_LEASE = timedelta(seconds=10)
MAX_LEASE = timedelta(hours=1)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and what it should be."""


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str = field(default="", repr=False)
    guild_ids: tuple[int, ...] = ()
    post_edit_interval: timedelta = timedelta(seconds=3)
    # The bot's own requests (outbox messages and post edits; not interaction answers),
    # under Discord's global limit of 50/s per bot. Several processes share that limit.
    requests_per_second: int = 40
    # How many bot processes share the token (and so the limit): each takes its share.
    processes: int = 1
    # HTTP connections to Discord kept open and reused (discord.py's own default is no limit,
    # which opens a new connection for each answer in flight during a burst).
    http_connections: int = 100
    # Sharding: None runs the one shard a single-process bot has. shard_ids () with a count
    # runs every shard of that count in this process; otherwise only the ids listed.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] = ()

    @property
    def total_shards(self) -> int:
        return self.shard_count or 1

    @property
    def shards(self) -> tuple[int, ...]:
        """The shards this process runs."""
        return self.shard_ids or tuple(range(self.total_shards))


DATABASE_URL_ENV = "DATABASE_URL"
# How a database URL names its store (the config, DATABASE_URL and migrate-db read them).
SQLITE_SCHEME = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    path: Path = Path("data/auctions.db")  # the SQLite file (when ``postgres_url`` is empty)
    synchronous: str = "normal"  # one of SYNCHRONOUS_MODES
    # postgresql://user@host:port/dbname, from [database].url or DATABASE_URL; empty: SQLite.
    postgres_url: str = field(default="", repr=False)  # it may hold a password
    pool_size: int = 10  # PostgreSQL connections this process keeps

    @property
    def url(self) -> str:
        return self.postgres_url or f"{SQLITE_SCHEME}{self.path}"


@dataclass(frozen=True, slots=True)
class Config:
    discord: DiscordSettings = DiscordSettings()
    database: DatabaseSettings = DatabaseSettings()
    # What every server starts from; each may change it with /settings.
    server: ServerSettings = ServerSettings()
    outbox: DeliverySettings = DeliverySettings()
    notes: tuple[str, ...] = ()  # warnings for the operator (e.g. a key that no longer counts)
    source: Path | None = field(default=None, compare=False)


KNOWN_KEYS: dict[str, set[str]] = {
    "discord": {
        "token", "guild_ids", "auction_channel_id", "audit_channel_id", "post_edit_interval",
        "requests_per_second", "http_connections", "shard_count", "shard_ids", "processes",
    },
    "database": {"path", "url", "synchronous", "pool_size"},
    "handles": {"platform", "reserved", "generic", "brands"},
    "inventory": {"base_price", "min_sales"},
    "drops": {"announce_lead"},
    "relist": {"enabled", "wait", "drop_percent", "floor", "max_relists"},
    "money": {"mode", "payment_deadline", "offer_deadline", "second_chances", "defaults_to_bar"},
    "limits": {"tiers"},
    "handles.generic": {"min_length", "max_length", "characters"},
    "currency": {"name", "max_amount"},
    "bidding": {
        "increment_absolute", "increment_percent", "anti_snipe_window", "anti_snipe_extension",
        "max_extensions",
    },
    "auctions": {"min_duration", "max_duration"},
    "permissions": {"moderator_role_ids", "bidder_role_ids"},
    "outbox": {
        "retry_base", "retry_max", "give_up_after", "keep_delivered", "max_attempts", "lease",
    },
}  # fmt: skip


# Still accepted so an older config file loads, but no longer used (a note says so).
DEPRECATED_KEYS: dict[str, set[str]] = {"outbox": {"max_attempts"}}


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
        if isinstance(value, str):  # the file has real numbers; "5" is a mistake worth naming
            raise ConfigError(f"{self._where(key)} must be a whole number, not {value!r}.")
        return _checked(whole_number, value, self._where(key), low=low, high=high)

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

    def duration(self, key: str, default: timedelta, *, zero_ok: bool = False) -> timedelta:
        if key not in self.data:
            return default
        return _checked(duration, self.data[key], self._where(key), zero_ok=zero_ok)


def _checked(check: Callable[..., T], value: object, where: str, **bounds: Any) -> T:
    """Run one of the checks /settings shares, as a ConfigError."""
    try:
        return check(value, where, **bounds)
    except AuctionError as exc:
        raise ConfigError(exc.message) from None


def _table(raw: Mapping[str, Any], name: str) -> _Section:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table.")
    return _Section(name, value)


def checked_shards(
    count: object, ids: object, *, count_name: str, ids_name: str
) -> tuple[int | None, tuple[int, ...]]:
    """The shard count (None: not set) and the shard ids of this process (empty: every shard
    of the count), checked together; ``count_name`` and ``ids_name`` say where each value
    came from (``[discord].shard_count``, ``--shard-ids``...)."""
    if isinstance(count, str):  # whole_number would read "4"; a file has real numbers
        raise ConfigError(f"{count_name} must be a whole number, not {count!r}.")
    shard_count = None if count is None else _checked(whole_number, count, count_name, low=1)
    if ids is None:
        ids = []
    if not isinstance(ids, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise ConfigError(f"{ids_name} must be a list of shard numbers, e.g. [0, 1].")
    if not ids:
        return shard_count, ()
    if shard_count is None:
        # discord.py refuses it too: a shard number means nothing without the count.
        raise ConfigError(
            f"{ids_name} needs a shard count: set {count_name} too (the total number of "
            "shards across every process)."
        )
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"{ids_name} lists shard {duplicates[0]} more than once.")
    outside = [i for i in ids if not 0 <= i < shard_count]
    if outside:
        raise ConfigError(
            f"{ids_name} has shard {outside[0]}, but with {count_name} = {shard_count} the "
            f"shards are 0 to {shard_count - 1}."
        )
    return shard_count, tuple(ids)


def with_shards(
    config: Config, *, shard_count: int | None = None, shard_ids: Sequence[int] | None = None
) -> Config:
    """``config`` with the command line's ``--shard-count`` and ``--shard-ids`` (each None:
    not given) over the file's values, checked together."""
    settings = config.discord
    count, count_name = settings.shard_count, "[discord].shard_count"
    if shard_count is not None:
        count, count_name = shard_count, "--shard-count"
    ids, ids_name = list(settings.shard_ids), "[discord].shard_ids"
    if shard_ids is not None:
        ids, ids_name = list(shard_ids), "--shard-ids"
        if count is None:  # the missing count is best given the same way
            count_name = "--shard-count"
    checked_count, checked_ids = checked_shards(
        count, ids, count_name=count_name, ids_name=ids_name
    )
    return replace(
        config, discord=replace(settings, shard_count=checked_count, shard_ids=checked_ids)
    )


def _handle_policy(handles: _Section) -> HandlePolicy:
    chosen = _checked(platform, handles.text("platform", "x"), "[handles].platform")
    reserved = handles.data.get("reserved", [])
    if not isinstance(reserved, list) or not all(isinstance(r, str) for r in reserved):
        raise ConfigError("[handles].reserved must be a list of strings.")
    brands = handles.data.get("brands", [])
    if not isinstance(brands, list) or not all(isinstance(b, str) and b.strip() for b in brands):
        raise ConfigError('[handles].brands must be a list of names, e.g. ["nike", "tesla"].')
    generic_raw = handles.data.get("generic", {})
    if not isinstance(generic_raw, dict):
        raise ConfigError("[handles.generic] must be a table.")
    generic = _Section("handles.generic", generic_raw)
    rules = _checked(
        lambda value, where: generic_rules(
            generic.data.get("min_length", 1),
            generic.data.get("max_length", 32),
            generic.data.get("characters", "A-Za-z0-9_."),
            lambda key: f"[handles.generic].{key}" if key != "generic" else "[handles.generic]",
        ),
        None,
        "[handles.generic]",
    )
    return HandlePolicy(
        platform=chosen, reserved=frozenset(reserved), generic=rules, brands=frozenset(brands)
    )


def _server_defaults(raw: Mapping[str, Any], discord: _Section) -> ServerSettings:
    currency = _table(raw, "currency")
    currency_value = Currency(
        name=_checked(currency_name, currency.text("name", "credits"), "[currency].name"),
        max_amount=currency.integer(
            "max_amount", DEFAULT_MAX_AMOUNT, low=1, high=MAX_CURRENCY_AMOUNT
        ),
    )
    bidding = _table(raw, "bidding")
    for key in ("increment_absolute", "increment_percent"):
        if isinstance(bidding.data.get(key), str):
            raise ConfigError(f"[bidding].{key} must be a whole number, not {bidding.data[key]!r}.")
    rule = _checked(
        lambda value, where: increment(
            bidding.data.get("increment_absolute", 1),
            bidding.data.get("increment_percent", 5),
            lambda key: f"[bidding].{key}",
        ),
        None,
        "[bidding]",
    )
    auctions = _table(raw, "auctions")
    rules = HouseRules(
        increment=rule,
        anti_snipe_window=bidding.duration("anti_snipe_window", timedelta(minutes=2)),
        anti_snipe_extension=bidding.duration("anti_snipe_extension", timedelta(minutes=2)),
        max_extensions=bidding.integer("max_extensions", 0, low=0, high=MAX_EXTENSIONS),
        min_duration=auctions.duration("min_duration", timedelta(minutes=1)),
        max_duration=auctions.duration("max_duration", timedelta(days=30)),
    )
    permissions = _table(raw, "permissions")
    settings = ServerSettings(
        currency=currency_value,
        rules=rules,
        handles=_handle_policy(_table(raw, "handles")),
        access=AccessPolicy(
            moderator_role_ids=frozenset(permissions.snowflakes("moderator_role_ids")),
            bidder_role_ids=frozenset(permissions.snowflakes("bidder_role_ids")),
        ),
        auction_channel_id=discord.snowflake("auction_channel_id"),
        audit_channel_id=discord.snowflake("audit_channel_id"),
        stock=_stock_rules(_table(raw, "inventory"), _table(raw, "drops")),
        relist=_relist_policy(_table(raw, "relist")),
        payments=_payment_rules(_table(raw, "money")),
        limits=_trust_limits(_table(raw, "limits")),
    )
    try:
        settings.check(lambda key: "[{}].{}".format(*key.split(".")))
    except AuctionError as exc:
        raise ConfigError(exc.message) from None
    return settings


def _stock_rules(inventory: _Section, drops: _Section) -> StockRules:
    return StockRules(
        base_price=inventory.integer("base_price", 100, low=1, high=MAX_CURRENCY_AMOUNT),
        min_sales=inventory.integer("min_sales", 5, low=1, high=1000),
        drop_lead=drops.duration("announce_lead", timedelta(hours=1)),
    )


def _payment_rules(money: _Section) -> PaymentRules:
    defaults = PaymentRules()
    return PaymentRules(
        mode=_checked(money_mode, money.text("mode", defaults.mode.value), "[money].mode"),
        payment_deadline=_checked(
            deadline,
            money.data.get("payment_deadline", "48h"),
            "[money].payment_deadline",
        ),
        offer_deadline=_checked(
            deadline, money.data.get("offer_deadline", "24h"), "[money].offer_deadline"
        ),
        second_chances=money.integer(
            "second_chances", defaults.second_chances, low=0, high=MAX_SECOND_CHANCES
        ),
        defaults_to_bar=money.integer(
            "defaults_to_bar", defaults.defaults_to_bar, low=0, high=MAX_DEFAULTS_TO_BAR
        ),
    )


def _trust_limits(limits: _Section) -> TrustLimits:
    tiers = limits.data.get("tiers", [])
    where = "[limits].tiers"
    shape = (
        f"{where} must be a list of tables such as {{ amount = 10000, role_id = 123 }} "
        "(bids above amount need the role)"
    )
    if not isinstance(tiers, list) or len(tiers) > MAX_TIERS:
        raise ConfigError(f"{shape}, at most {MAX_TIERS}.")
    parsed = []
    for tier in tiers:
        if not isinstance(tier, dict) or set(tier) != {"amount", "role_id"}:
            raise ConfigError(f"{shape}.")
        amount = _checked(whole_number, tier["amount"], f"{where} amount", low=1)
        role_id = _checked(whole_number, tier["role_id"], f"{where} role_id", low=1)
        parsed.append(TrustTier(amount, role_id))
    return TrustLimits(tuple(parsed))


def _relist_policy(relist: _Section) -> RelistPolicy:
    enabled = relist.data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"[relist].enabled must be true or false, not {enabled!r}.")
    try:
        return RelistPolicy(
            enabled=enabled,
            wait=relist.duration("wait", timedelta(hours=1), zero_ok=True),
            drop_percent=relist.integer("drop_percent", 10, low=1, high=90),
            floor=relist.integer("floor", 1, low=1, high=MAX_CURRENCY_AMOUNT),
            max_relists=relist.integer("max_relists", 3, low=0, high=100),
        )
    except AuctionError as exc:
        raise ConfigError(f"[relist]: {exc.message}") from None


def _delivery(outbox: _Section) -> tuple[DeliverySettings, tuple[str, ...]]:
    give_up_after = outbox.duration("give_up_after", timedelta(days=7))
    if give_up_after < MIN_GIVE_UP_AFTER:
        raise ConfigError(
            "[outbox].give_up_after must be at least 24h: an outage of Discord may last a day."
        )
    keep_delivered = outbox.duration("keep_delivered", timedelta(days=30))
    if keep_delivered < MIN_KEEP_DELIVERED:
        raise ConfigError(
            "[outbox].keep_delivered must be at least 24h: the delivered history is what an "
            'operator reads to answer "did my DM go out?".'
        )
    lease = outbox.duration("lease", timedelta(seconds=60))
    if not MIN_LEASE <= lease <= MAX_LEASE:
        raise ConfigError(
            "[outbox].lease must be between 10s and 1h: long enough to send a batch, short "
            "enough that what a crashed process held goes out soon after."
        )
    notes: tuple[str, ...] = ()
    if "max_attempts" in outbox.data:
        notes = (
            "[outbox].max_attempts no longer counts: a message is retried through any outage "
            "for up to [outbox].give_up_after; remove the key.",
        )
    settings = DeliverySettings(
        retry_base=outbox.duration("retry_base", timedelta(seconds=2)),
        retry_max=outbox.duration("retry_max", timedelta(minutes=10)),
        give_up_after=give_up_after,
        keep_delivered=keep_delivered,
        lease=lease,
    )
    return settings, notes


def _database(database: _Section, base_dir: Path, environ: Mapping[str, str]) -> DatabaseSettings:
    """``[database]``: a PostgreSQL server (``url = "postgresql://..."``) or a SQLite file
    (``url = "sqlite:///..."``, or ``path`` when ``url`` is empty); ``DATABASE_URL`` in the
    environment wins over both."""
    synchronous = database.text("synchronous", "normal").lower()
    if synchronous not in SYNCHRONOUS_MODES:
        raise ConfigError('[database].synchronous must be "normal", "full", "extra" or "off".')
    pool_size = database.integer("pool_size", 10, low=1, high=100)
    from_env = environ.get(DATABASE_URL_ENV, "").strip()
    url = from_env or database.text("url", "").strip()
    where = DATABASE_URL_ENV if from_env else "[database].url"
    path = Path(database.text("path", "data/auctions.db"))
    if url.startswith(POSTGRES_SCHEMES):
        return DatabaseSettings(
            path=path, synchronous=synchronous, postgres_url=url, pool_size=pool_size
        )
    if url:
        if not url.startswith(SQLITE_SCHEME) or url == SQLITE_SCHEME:
            given = f", not {url.split('://')[0]!r}..." if "://" in url else ""
            raise ConfigError(
                f"{where} must be sqlite:///path/to/auctions.db or"
                f" postgresql://user@host:port/dbname{given}."
            )
        path = Path(url.removeprefix(SQLITE_SCHEME))
    return DatabaseSettings(
        path=path if path.is_absolute() else base_dir / path,
        synchronous=synchronous,
        pool_size=pool_size,
    )


def _check_processes(discord: DiscordSettings, database: DatabaseSettings) -> None:
    """Several processes need a database they can share, and each needs at least one
    request a second of the bot's budget."""
    if discord.processes > 1 and not database.postgres_url:
        raise ConfigError(
            f"[discord].processes is {discord.processes}, but a SQLite file serves one bot"
            " process: keep it at 1, or set [database].url (or DATABASE_URL) to a PostgreSQL"
            " database the processes share."
        )
    if discord.processes > discord.requests_per_second:
        raise ConfigError(
            f"[discord].processes ({discord.processes}) is more than"
            f" [discord].requests_per_second ({discord.requests_per_second}): each process"
            " needs at least one request a second of the bot's budget."
        )


def parse_config(
    raw: Mapping[str, Any], *, base_dir: Path, environ: Mapping[str, str] | None = None
) -> Config:
    """Build a ``Config`` from parsed TOML. Relative paths are relative to ``base_dir``."""
    unknown = sorted(set(raw) - {k for k in KNOWN_KEYS if "." not in k})
    if unknown:
        listed = ", ".join(f"[{name}]" for name in KNOWN_KEYS)
        raise ConfigError(f"Unknown section [{unknown[0]}]; the sections are {listed}.")
    environ = os.environ if environ is None else environ

    discord = _table(raw, "discord")
    token = environ.get(TOKEN_ENV, "").strip() or discord.text("token", "").strip()
    discord_settings = DiscordSettings(
        token=token,
        guild_ids=discord.snowflakes("guild_ids"),
        post_edit_interval=discord.duration("post_edit_interval", timedelta(seconds=3)),
        requests_per_second=discord.integer("requests_per_second", 40, low=1, high=50),
        http_connections=discord.integer("http_connections", 100, low=4, high=1000),
        processes=discord.integer("processes", 1, low=1, high=1000),
    )
    shard_count, shard_ids = checked_shards(
        discord.data.get("shard_count"),
        discord.data.get("shard_ids"),
        count_name="[discord].shard_count",
        ids_name="[discord].shard_ids",
    )
    discord_settings = replace(discord_settings, shard_count=shard_count, shard_ids=shard_ids)

    database_settings = _database(_table(raw, "database"), base_dir, environ)
    _check_processes(discord_settings, database_settings)
    server = _server_defaults(raw, discord)
    delivery, notes = _delivery(_table(raw, "outbox"))
    return Config(
        discord=discord_settings,
        database=database_settings,
        server=server,
        outbox=delivery,
        notes=notes,
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
