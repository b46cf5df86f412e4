"""A server's settings: its currency, channels, roles, handle rules and house rules.

The TOML file gives the defaults; each server may override any of them with ``/settings``.
Every value is checked by the functions here, whether it comes from the file or from a
command, so both say the same thing about the same mistake (``where`` names the key the
way its reader knows it: ``[bidding].increment_percent`` or ``bidding.increment_percent``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from bot.domain.access import AccessPolicy
from bot.domain.durations import format_duration, parse_duration, parse_wait
from bot.domain.errors import AuctionError, InvalidInput
from bot.domain.handles import PLATFORMS, GenericRules, HandlePolicy, Platform
from bot.domain.money import MAX_INCREMENT_PERCENT, Currency, IncrementRule
from bot.domain.payments import (
    MAX_DEFAULTS_TO_BAR,
    MAX_SECOND_CHANCES,
    MIN_DEADLINE,
    PaymentRules,
    TrustLimits,
    money_mode,
    parse_tiers,
)
from bot.domain.relist import RelistPolicy

MAX_SETTING_DURATION = timedelta(days=365)
MAX_EXTENSIONS = 10_000
_INTEGER = re.compile(r"-?[0-9]{1,20}")
MAX_CURRENCY_AMOUNT = 2**62
MAX_CURRENCY_NAME = 32


@dataclass(frozen=True, slots=True)
class HouseRules:
    """The terms every auction starts from (increment can be overridden per auction)."""

    increment: IncrementRule = IncrementRule()
    anti_snipe_window: timedelta = timedelta(minutes=2)
    anti_snipe_extension: timedelta = timedelta(minutes=2)
    max_extensions: int = 0
    min_duration: timedelta = timedelta(minutes=1)
    max_duration: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class StockRules:
    """How the handle house prices and schedules its inventory."""

    base_price: int = 100  # the suggested starting bid of a handle scoring 0
    min_sales: int = 5  # sales of a length class before their median is suggested instead
    drop_lead: timedelta = timedelta(hours=1)  # a drop is announced this long before it starts


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything one server decides for itself."""

    currency: Currency = Currency()
    rules: HouseRules = HouseRules()
    handles: HandlePolicy = HandlePolicy()
    access: AccessPolicy = AccessPolicy()
    auction_channel_id: int | None = None
    audit_channel_id: int | None = None
    stock: StockRules = StockRules()
    relist: RelistPolicy = RelistPolicy()
    payments: PaymentRules = PaymentRules()
    limits: TrustLimits = TrustLimits()

    def check(self, where: Callable[[str], str] = lambda key: f"`{key}`") -> None:
        """Refuse combinations that contradict each other."""
        if self.rules.min_duration > self.rules.max_duration:
            raise InvalidInput(
                f"{where('auctions.min_duration')} must not be longer than "
                f"{where('auctions.max_duration')} "
                f"({format_duration(self.rules.min_duration)} > "
                f"{format_duration(self.rules.max_duration)})."
            )


# -- value checks shared by the TOML file and /settings ------------------------------------


def whole_number(value: object, where: str, *, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, str):
        compact = value.strip().replace(",", "").replace("_", "")
        if _INTEGER.fullmatch(compact):
            value = int(compact)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{where} must be a whole number, not {value!r}.")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high:,}" if high is not None else f"at least {low}"
        raise InvalidInput(f"{where} must be {bound}, not {value:,}.")
    return value


def duration(value: object, where: str, *, zero_ok: bool = False) -> timedelta:
    if not isinstance(value, str):
        raise InvalidInput(f'{where} must be a duration string such as "5m".')
    try:
        parsed = parse_wait(value) if zero_ok else parse_duration(value)
    except AuctionError as exc:
        raise InvalidInput(f"{where}: {exc}") from exc
    if parsed > MAX_SETTING_DURATION:
        raise InvalidInput(f"{where} must be at most 365d, not {value}.")
    return parsed


def currency_name(value: object, where: str) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_CURRENCY_NAME:
        raise InvalidInput(f'{where} must be 1-{MAX_CURRENCY_NAME} characters, such as "credits".')
    return name


def platform(value: object, where: str) -> Platform:
    text = value.strip().lower() if isinstance(value, str) else value
    for known in PLATFORMS:
        if text == known:
            return known
    raise InvalidInput(f"{where} must be one of {', '.join(PLATFORMS)}, not {value!r}.")


def increment(absolute: object, percent: object, where: Callable[[str], str]) -> IncrementRule:
    return IncrementRule(
        absolute=whole_number(
            absolute, where("increment_absolute"), low=1, high=MAX_CURRENCY_AMOUNT
        ),
        percent=whole_number(percent, where("increment_percent"), high=MAX_INCREMENT_PERCENT),
    )


def generic_rules(
    min_length: object, max_length: object, characters: object, where: Callable[[str], str]
) -> GenericRules:
    low = whole_number(min_length, where("min_length"), low=1)
    high = whole_number(max_length, where("max_length"), low=1)
    if not isinstance(characters, str) or not characters:
        raise InvalidInput(f"{where('characters')} must be a character class such as A-Za-z0-9_.")
    try:
        return GenericRules(min_length=low, max_length=high, characters=characters)
    except AuctionError as exc:
        raise InvalidInput(f"{where('generic')}: {exc}") from exc


# -- the keys /settings set can change -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """One key an admin can set by command: how to read it, apply it and show it."""

    key: str
    describe: str
    apply: Callable[[ServerSettings, str], ServerSettings]
    show: Callable[[ServerSettings], str]


def _where(key: str) -> str:
    return f"`{key}`"


def _rules(settings: ServerSettings, **changes: Any) -> ServerSettings:
    return replace(settings, rules=replace(settings.rules, **changes))


def _generic(settings: ServerSettings, **changes: Any) -> ServerSettings:
    current = settings.handles.generic
    values = {
        "min_length": current.min_length,
        "max_length": current.max_length,
        "characters": current.characters,
    } | changes
    rules = generic_rules(
        values["min_length"],
        values["max_length"],
        values["characters"],
        lambda k: _where(f"handles.generic.{k}"),
    )
    return replace(settings, handles=replace(settings.handles, generic=rules))


def _stock(settings: ServerSettings, **changes: Any) -> ServerSettings:
    return replace(settings, stock=replace(settings.stock, **changes))


def _relist(settings: ServerSettings, **changes: Any) -> ServerSettings:
    try:
        return replace(settings, relist=replace(settings.relist, **changes))
    except AuctionError as exc:
        raise InvalidInput(exc.message) from exc


def _payments(settings: ServerSettings, **changes: Any) -> ServerSettings:
    return replace(settings, payments=replace(settings.payments, **changes))


def deadline(value: object, where: str) -> timedelta:
    """A settlement deadline: at least a minute, at most a year."""
    parsed = duration(value, where)
    if parsed < MIN_DEADLINE:
        raise InvalidInput(f"{where} must be at least 1m, not {value}.")
    return parsed


def on_off(value: object, where: str) -> bool:
    text = value.strip().lower() if isinstance(value, str) else value
    if isinstance(text, bool):
        return text
    if text in ("on", "yes", "true", "1"):
        return True
    if text in ("off", "no", "false", "0"):
        return False
    raise InvalidInput(f"{where} must be on or off, not {value!r}.")


def _increment(settings: ServerSettings, *, absolute: object, percent: object) -> ServerSettings:
    rule = increment(absolute, percent, lambda k: _where(f"bidding.{k}"))
    return _rules(settings, increment=rule)


def _duration_setting(key: str, attr: str, describe: str) -> Setting:
    return Setting(
        key,
        describe,
        lambda s, v: _rules(s, **{attr: duration(v, _where(key))}),
        lambda s: format_duration(getattr(s.rules, attr)),
    )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "currency.name",
        "what amounts are counted in (1-32 characters)",
        lambda s, v: replace(
            s, currency=replace(s.currency, name=currency_name(v, _where("currency.name")))
        ),
        lambda s: s.currency.name,
    ),
    Setting(
        "currency.max_amount",
        "the largest amount anyone may bid or set",
        lambda s, v: replace(
            s,
            currency=replace(
                s.currency,
                max_amount=whole_number(
                    v, _where("currency.max_amount"), low=1, high=MAX_CURRENCY_AMOUNT
                ),
            ),
        ),
        lambda s: f"{s.currency.max_amount:,}",
    ),
    Setting(
        "handles.platform",
        f"whose handles are sold: {', '.join(PLATFORMS)}",
        lambda s, v: replace(
            s, handles=replace(s.handles, platform=platform(v, _where("handles.platform")))
        ),
        lambda s: s.handles.platform,
    ),
    Setting(
        "handles.generic.min_length",
        "shortest handle (platform generic)",
        lambda s, v: _generic(s, min_length=v),
        lambda s: str(s.handles.generic.min_length),
    ),
    Setting(
        "handles.generic.max_length",
        "longest handle (platform generic, at most 64)",
        lambda s, v: _generic(s, max_length=v),
        lambda s: str(s.handles.generic.max_length),
    ),
    Setting(
        "handles.generic.characters",
        "allowed characters, a character class such as A-Za-z0-9_. (platform generic)",
        lambda s, v: _generic(s, characters=v.strip()),
        lambda s: s.handles.generic.characters,
    ),
    Setting(
        "bidding.increment_absolute",
        "minimum raise, in whole units (at least 1)",
        lambda s, v: _increment(s, absolute=v, percent=s.rules.increment.percent),
        lambda s: str(s.rules.increment.absolute),
    ),
    Setting(
        "bidding.increment_percent",
        f"minimum raise, in percent of the price (0-{MAX_INCREMENT_PERCENT})",
        lambda s, v: _increment(s, absolute=s.rules.increment.absolute, percent=v),
        lambda s: f"{s.rules.increment.percent}%",
    ),
    _duration_setting(
        "bidding.anti_snipe_window", "anti_snipe_window", "a bid this close to the end extends it"
    ),
    _duration_setting(
        "bidding.anti_snipe_extension", "anti_snipe_extension", "how far such a bid moves the end"
    ),
    Setting(
        "bidding.max_extensions",
        "anti-sniping extensions per auction (0 = unlimited)",
        lambda s, v: _rules(
            s,
            max_extensions=whole_number(
                v, _where("bidding.max_extensions"), low=0, high=MAX_EXTENSIONS
            ),
        ),
        lambda s: (
            str(s.rules.max_extensions) + (" (unlimited)" if not s.rules.max_extensions else "")
        ),
    ),
    _duration_setting("auctions.min_duration", "min_duration", "shortest auction"),
    _duration_setting("auctions.max_duration", "max_duration", "longest auction (and extension)"),
    Setting(
        "inventory.base_price",
        "suggested starting bid of a handle scoring 0 (scaled up by its score)",
        lambda s, v: _stock(
            s,
            base_price=whole_number(
                v, _where("inventory.base_price"), low=1, high=MAX_CURRENCY_AMOUNT
            ),
        ),
        lambda s: f"{s.stock.base_price:,}",
    ),
    Setting(
        "inventory.min_sales",
        "sales of a length class before their median price is suggested (1-1000)",
        lambda s, v: _stock(
            s, min_sales=whole_number(v, _where("inventory.min_sales"), low=1, high=1000)
        ),
        lambda s: str(s.stock.min_sales),
    ),
    Setting(
        "drops.announce_lead",
        "a drop is announced this long before its first auction",
        lambda s, v: _stock(s, drop_lead=duration(v, _where("drops.announce_lead"))),
        lambda s: format_duration(s.stock.drop_lead),
    ),
    Setting(
        "relist.enabled",
        "relist unsold inventory handles at a falling price: on or off",
        lambda s, v: _relist(s, enabled=on_off(v, _where("relist.enabled"))),
        lambda s: "on" if s.relist.enabled else "off",
    ),
    Setting(
        "relist.wait",
        "how long after an unsold close the handle goes up again",
        lambda s, v: _relist(s, wait=duration(v, _where("relist.wait"), zero_ok=True)),
        lambda s: format_duration(s.relist.wait),
    ),
    Setting(
        "relist.drop_percent",
        "how much lower each relist starts, in percent (1-90)",
        lambda s, v: _relist(
            s, drop_percent=whole_number(v, _where("relist.drop_percent"), low=1, high=90)
        ),
        lambda s: f"{s.relist.drop_percent}%",
    ),
    Setting(
        "relist.floor",
        "the lowest starting bid a relist falls to",
        lambda s, v: _relist(
            s, floor=whole_number(v, _where("relist.floor"), low=1, high=MAX_CURRENCY_AMOUNT)
        ),
        lambda s: f"{s.relist.floor:,}",
    ),
    Setting(
        "relist.max_relists",
        "how many times an unsold handle is relisted (0-100)",
        lambda s, v: _relist(
            s, max_relists=whole_number(v, _where("relist.max_relists"), low=0, high=100)
        ),
        lambda s: str(s.relist.max_relists),
    ),
    Setting(
        "money.mode",
        "how auctions are paid for: none, wallet (credits held in escrow) or pledge (paid "
        "outside the bot, by a deadline); only auctions started afterwards change",
        lambda s, v: _payments(s, mode=money_mode(v, _where("money.mode"))),
        lambda s: s.payments.mode.value,
    ),
    Setting(
        "money.payment_deadline",
        "pledge mode: how long a winner has to pay",
        lambda s, v: _payments(s, payment_deadline=deadline(v, _where("money.payment_deadline"))),
        lambda s: format_duration(s.payments.payment_deadline),
    ),
    Setting(
        "money.offer_deadline",
        "pledge mode: how long a second-chance offer stands",
        lambda s, v: _payments(s, offer_deadline=deadline(v, _where("money.offer_deadline"))),
        lambda s: format_duration(s.payments.offer_deadline),
    ),
    Setting(
        "money.second_chances",
        f"pledge mode: how many bidders after an unpaid winner are offered the handle (0-{MAX_SECOND_CHANCES})",
        lambda s, v: _payments(
            s,
            second_chances=whole_number(
                v, _where("money.second_chances"), low=0, high=MAX_SECOND_CHANCES
            ),
        ),
        lambda s: str(s.payments.second_chances),
    ),
    Setting(
        "money.defaults_to_bar",
        f"pledge mode: unpaid wins after which a member is barred from bidding (0 = never, at most {MAX_DEFAULTS_TO_BAR})",
        lambda s, v: _payments(
            s,
            defaults_to_bar=whole_number(
                v, _where("money.defaults_to_bar"), low=0, high=MAX_DEFAULTS_TO_BAR
            ),
        ),
        lambda s: (
            str(s.payments.defaults_to_bar) + (" (never)" if not s.payments.defaults_to_bar else "")
        ),
    ),
)
SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}

# Keys set by their own commands (a channel, a role list, the reserved list).
AUCTION_CHANNEL = "channels.auction"
AUDIT_CHANNEL = "channels.audit"
MODERATOR_ROLES = "roles.moderators"
BIDDER_ROLES = "roles.bidders"
RESERVED_HANDLES = "handles.reserved"
BRAND_HANDLES = "handles.brands"
TRUST_TIERS = "limits.tiers"
REFERENCE_KEYS = (
    AUCTION_CHANNEL, AUDIT_CHANNEL, MODERATOR_ROLES, BIDDER_ROLES, RESERVED_HANDLES, BRAND_HANDLES,
    TRUST_TIERS,
)  # fmt: skip
ALL_KEYS: tuple[str, ...] = (*SETTINGS_BY_KEY, *REFERENCE_KEYS)


def parse_ids(text: str) -> frozenset[int]:
    """A stored list of Discord ids (comma-separated digits)."""
    return frozenset(int(part) for part in text.split(",") if part.strip().isdigit())


def format_ids(ids: frozenset[int]) -> str:
    return ",".join(str(i) for i in sorted(ids))


def parse_names(text: str) -> frozenset[str]:
    return frozenset(part for part in text.split("\n") if part)


def format_names(names: frozenset[str]) -> str:
    return "\n".join(sorted(names))


def apply_override(  # noqa: PLR0911 (one return per key)
    settings: ServerSettings, key: str, value: str
) -> ServerSettings:
    """``settings`` with one stored override applied; raises ``InvalidInput`` if it is bad."""
    if key in SETTINGS_BY_KEY:
        return SETTINGS_BY_KEY[key].apply(settings, value)
    channel = int(value) if value.isdigit() else None
    match key:
        case "channels.auction":
            return replace(settings, auction_channel_id=channel)
        case "channels.audit":
            return replace(settings, audit_channel_id=channel)
        case "roles.moderators":
            return replace(
                settings, access=replace(settings.access, moderator_role_ids=parse_ids(value))
            )
        case "roles.bidders":
            return replace(
                settings, access=replace(settings.access, bidder_role_ids=parse_ids(value))
            )
        case "handles.reserved":
            return replace(settings, handles=replace(settings.handles, reserved=parse_names(value)))
        case "handles.brands":
            return replace(settings, handles=replace(settings.handles, brands=parse_names(value)))
        case "limits.tiers":
            return replace(settings, limits=parse_tiers(value))
    raise InvalidInput(f"`{key}` is not a setting; the settings are {', '.join(ALL_KEYS)}.")


GENERIC_KEYS = (
    "handles.generic.min_length",
    "handles.generic.max_length",
    "handles.generic.characters",
)


def effective(
    defaults: ServerSettings, overrides: Mapping[str, str], *, strict: bool = False
) -> ServerSettings:
    """The defaults with every override applied, then the combination checked once (so
    ``max_duration 60d`` then ``min_duration 40d`` holds, whatever the order they were set).

    ``strict``: a bad override or combination raises ``InvalidInput`` (for a change being
    made). Otherwise (reading what is stored) an override that no longer fits, say after the
    defaults changed, is skipped rather than lock the server out."""
    settings = defaults
    for key in ALL_KEYS:
        if key in overrides and key not in GENERIC_KEYS:
            try:
                settings = apply_override(settings, key, overrides[key])
            except InvalidInput:
                if strict:
                    raise
    # The three generic-handle keys are one rule: build it once from all of them.
    if any(key in overrides for key in GENERIC_KEYS):
        base = settings.handles.generic
        try:
            rules = generic_rules(
                overrides.get(GENERIC_KEYS[0], base.min_length),
                overrides.get(GENERIC_KEYS[1], base.max_length),
                overrides.get(GENERIC_KEYS[2], base.characters),
                lambda k: _where(f"handles.generic.{k}"),
            )
            settings = replace(settings, handles=replace(settings.handles, generic=rules))
        except InvalidInput:
            if strict:
                raise
    try:
        settings.check()
    except InvalidInput:
        if strict:
            raise
        return _one_at_a_time(defaults, overrides)
    return settings


def _one_at_a_time(defaults: ServerSettings, overrides: Mapping[str, str]) -> ServerSettings:
    """Stored overrides that contradict each other: keep each only if it fits those before."""
    settings = defaults
    for key in ALL_KEYS:
        if key in overrides:
            try:
                candidate = apply_override(settings, key, overrides[key])
                candidate.check()
            except InvalidInput:
                continue
            settings = candidate
    return settings
