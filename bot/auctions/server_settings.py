"""Per-server settings: read (cached per server, forgotten when they change) and changed by
server admins. Every change is checked like the TOML value, audited and copied to the audit
channel; a running auction keeps the terms and currency it started with."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.auctions.common import audit
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.errors import InvalidInput, NotPermitted
from bot.domain.events import SettingsChanged
from bot.domain.handles import handle_key, normalise
from bot.domain.payments import format_tiers
from bot.domain.settings import (
    ALL_KEYS,
    AUCTION_CHANNEL,
    AUDIT_CHANNEL,
    BIDDER_ROLES,
    BRAND_HANDLES,
    MODERATOR_ROLES,
    RESERVED_HANDLES,
    SETTINGS_BY_KEY,
    ServerSettings,
    effective,
    format_ids,
    format_names,
)
from bot.domain.text import quote
from bot.ports import GuildDirectory, TrustingDirectory
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

ChannelKind = Literal["auction", "audit"]
RoleList = Literal["moderators", "bidders"]
MAX_RESERVED = 500
MAX_ROLES = 50


class SettingsBook:
    """Each server's settings: the configured defaults (its own channels and roles only)
    with the server's overrides applied, cached until they change.

    This process hears of its own changes (``forget`` on ``SettingsChanged``); where other
    processes share the database, it cannot hear of theirs, so ``keep_for`` bounds how long
    a cached copy is trusted (seconds; None: until this process changes it)."""

    def __init__(
        self,
        store: Store,
        defaults: ServerSettings,
        directory: GuildDirectory | None = None,
        *,
        keep_for: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.defaults = defaults
        self._directory: GuildDirectory = directory or TrustingDirectory()
        self._keep_for = keep_for
        self._monotonic = monotonic
        self._cache: dict[int, tuple[ServerSettings, float]] = {}
        # Bumped on every forget: a read that started before it must not be cached after it.
        self._generation: dict[int, int] = {}
        self._epoch = 0

    @property
    def directory(self) -> GuildDirectory:
        return self._directory

    def use_directory(self, directory: GuildDirectory) -> None:
        """The Discord side knows which channels and roles are whose (once it is connected)."""
        self._directory = directory
        self.forget()

    def forget(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            self._cache.clear()
            self._epoch += 1
            return
        self._cache.pop(guild_id, None)
        self._generation[guild_id] = self._generation.get(guild_id, 0) + 1

    def on_change(self, event: SettingsChanged) -> None:
        self.forget(event.guild_id)

    def defaults_for(self, guild_id: int) -> ServerSettings:
        """The configured defaults, keeping only the channels and roles of this server: one
        file serves every server the bot is in, and its ids belong to one of them."""
        d = self.defaults
        directory = self._directory

        def channel(channel_id: int | None) -> int | None:
            ok = channel_id is not None and directory.channel_in_guild(channel_id, guild_id)
            return channel_id if ok else None

        def roles(ids: frozenset[int]) -> frozenset[int]:
            return frozenset(r for r in ids if directory.role_in_guild(r, guild_id))

        return ServerSettings(
            currency=d.currency,
            rules=d.rules,
            handles=d.handles,
            access=type(d.access)(
                moderator_role_ids=roles(d.access.moderator_role_ids),
                bidder_role_ids=roles(d.access.bidder_role_ids),
            ),
            auction_channel_id=channel(d.auction_channel_id),
            audit_channel_id=channel(d.audit_channel_id),
            stock=d.stock,
            relist=d.relist,
            payments=d.payments,
        )

    async def overrides(self, guild_id: int) -> dict[str, str]:
        return await self._store.read(lambda uow: uow.settings.overrides(guild_id))

    async def for_guild(self, guild_id: int) -> ServerSettings:
        cached = self._cache.get(guild_id)
        now = self._monotonic()
        if cached is not None and (self._keep_for is None or now - cached[1] < self._keep_for):
            return cached[0]
        seen = (self._epoch, self._generation.get(guild_id, 0))
        settings = effective(self.defaults_for(guild_id), await self.overrides(guild_id))
        # A change committed while this read was under way must not be cached over.
        if (self._epoch, self._generation.get(guild_id, 0)) == seen:
            self._cache[guild_id] = (settings, now)
        return settings


@dataclass(frozen=True, slots=True)
class SettingLine:
    key: str
    value: str  # as stored: text, a channel id, comma-separated role ids, handles by line
    is_default: bool


@dataclass(frozen=True, slots=True)
class SettingChange:
    key: str
    old: str
    new: str


def _require_admin(actor: Actor) -> None:
    if not actor.manages_guild:
        raise NotPermitted(
            "Only server admins (members with Manage Server) can change the bot's settings."
        )


def stored_value(settings: ServerSettings, key: str) -> str:  # noqa: PLR0911 (one per key)
    """A setting's current value in its stored form."""
    if key in SETTINGS_BY_KEY:
        return SETTINGS_BY_KEY[key].show(settings)
    match key:
        case "channels.auction":
            return str(settings.auction_channel_id or "")
        case "channels.audit":
            return str(settings.audit_channel_id or "")
        case "roles.moderators":
            return format_ids(settings.access.moderator_role_ids)
        case "roles.bidders":
            return format_ids(settings.access.bidder_role_ids)
        case "handles.reserved":
            return format_names(settings.handles.reserved)
        case "handles.brands":
            return format_names(settings.handles.brands)
        case "limits.tiers":
            return format_tiers(settings.limits)
    raise InvalidInput(f"`{quote(key)}` is not a setting; the settings are {', '.join(ALL_KEYS)}.")


class ServerSettingsAdmin:
    def __init__(self, store: Store, clock: Clock, book: SettingsBook) -> None:
        self._store = store
        self._clock = clock
        self._book = book

    async def show(self, guild_id: int, actor: Actor) -> list[SettingLine]:
        _require_admin(actor)
        overrides = await self._book.overrides(guild_id)
        settings = await self._book.for_guild(guild_id)
        return [
            SettingLine(key, stored_value(settings, key), key not in overrides) for key in ALL_KEYS
        ]

    async def set(self, guild_id: int, actor: Actor, key: str, value: str) -> SettingChange:
        """Set one of the keys in ``SETTINGS`` from what the admin typed."""
        _require_admin(actor)
        name = key.strip().lower()
        if name not in SETTINGS_BY_KEY:
            raise InvalidInput(
                f"`{quote(key)}` is not a setting you can type a value for; "
                f"those are {', '.join(SETTINGS_BY_KEY)}."
            )
        typed = value.strip()
        return await self._change(guild_id, actor, name, lambda _: typed)

    async def reset(self, guild_id: int, actor: Actor, key: str) -> SettingChange:
        """Go back to the configured default."""
        _require_admin(actor)
        name = key.strip().lower()
        if name not in ALL_KEYS:
            raise InvalidInput(
                f"`{quote(key)}` is not a setting; the settings are {', '.join(ALL_KEYS)}."
            )
        return await self._change(guild_id, actor, name, lambda _: None)

    async def set_channel(
        self, guild_id: int, actor: Actor, which: ChannelKind, channel_id: int | None
    ) -> SettingChange:
        """Set the auction or audit channel; None means none (for the audit channel: no
        copies; for the auction channel: post where the command is used)."""
        _require_admin(actor)
        if channel_id is not None and not self._book.directory.channel_in_guild(
            channel_id, guild_id
        ):
            raise InvalidInput("That channel is not in this server: pick one of this server's.")
        key = AUCTION_CHANNEL if which == "auction" else AUDIT_CHANNEL
        stored = str(channel_id or "")
        return await self._change(guild_id, actor, key, lambda _: stored)

    async def change_roles(
        self, guild_id: int, actor: Actor, which: RoleList, role_id: int, *, add: bool
    ) -> SettingChange:
        _require_admin(actor)
        if add and not self._book.directory.role_in_guild(role_id, guild_id):
            raise InvalidInput("That role is not in this server: pick one of this server's.")
        if role_id == guild_id:
            raise InvalidInput(
                "@everyone can't be a moderator or bidder role: for everyone to bid, "
                "leave the bidder roles empty."
            )
        key = MODERATOR_ROLES if which == "moderators" else BIDDER_ROLES

        def updated(before: ServerSettings) -> str:
            access = before.access
            current = access.moderator_role_ids if which == "moderators" else access.bidder_role_ids
            if add == (role_id in current):
                state = "already" if add else "not"
                raise InvalidInput(f"That role is {state} one of the {which[:-1]} roles.")
            if add and len(current) >= MAX_ROLES:
                raise InvalidInput(f"There can be at most {MAX_ROLES} {which[:-1]} roles.")
            return format_ids(current | {role_id} if add else current - {role_id})

        return await self._change(guild_id, actor, key, updated)

    async def change_reserved(
        self, guild_id: int, actor: Actor, handle: str, *, add: bool, brands: bool = False
    ) -> SettingChange:
        """Add a handle to or take it off the reserved list (never auctioned) or, with
        ``brands``, the brand list (listed only by a moderator who overrides, audited)."""
        _require_admin(actor)
        which = "brand" if brands else "reserved"
        key = handle_key(handle)
        shown = quote(normalise(handle))
        if not key or len(key) > 64 or "\n" in key:
            raise InvalidInput("Write the handle like `@ogname` (at most 64 characters).")

        def updated(before: ServerSettings) -> str:
            current = before.handles.brands if brands else before.handles.reserved
            if add == (key in current):
                state = "already" if add else "not"
                raise InvalidInput(f"`@{shown}` is {state} on the {which} list.")
            if add and len(current) >= MAX_RESERVED:
                raise InvalidInput(f"The {which} list is full ({MAX_RESERVED} handles).")
            return format_names(current | {key} if add else current - {key})

        return await self._change(
            guild_id, actor, BRAND_HANDLES if brands else RESERVED_HANDLES, updated
        )

    async def _change(
        self,
        guild_id: int,
        actor: Actor,
        key: str,
        new_value: Callable[[ServerSettings], str | None],
    ) -> SettingChange:
        """Store ``new_value(current settings)`` for ``key``, all in one transaction: two
        admins changing a list at once both land, and the check sees what is stored."""
        defaults = self._book.defaults_for(guild_id)

        def transaction(uow: UnitOfWork) -> SettingChange:
            now = self._clock.now()
            uow.settings.hold(guild_id)
            overrides = uow.settings.overrides(guild_id)
            before = effective(defaults, overrides)
            value = new_value(before)
            if value is None:
                overrides.pop(key, None)
            else:
                overrides[key] = value
            # Checked as the file's values are: the value, and the whole it makes.
            after = effective(defaults, overrides, strict=True)
            old, new = stored_value(before, key), stored_value(after, key)
            uow.settings.set(guild_id, key, value, by=actor.user_id, at=now)
            audit(
                uow,
                guild_id=guild_id,
                auction_id=None,
                handle="",
                actor=actor,
                action="setting",
                detail=f"{key}: {_short(old)} -> {_short(new)}"
                + (" (default)" if value is None else ""),
                reason=None,
                now=now,
                # Changing the audit channel is told to the one it replaces as well.
                extra={"previous_audit_channel_id": before.audit_channel_id}
                if key == AUDIT_CHANNEL
                else None,
            )
            uow.record(SettingsChanged(guild_id, key))
            return SettingChange(key, old, new)

        change = await self._store.write(transaction)
        log.info(
            "guild %s: %s set by %s: %r -> %r", guild_id, key, actor.user_id, change.old, change.new
        )
        return change


def _short(value: str) -> str:
    flat = value.replace("\n", ", ")
    return (flat or "none") if len(flat) <= 80 else flat[:79] + "…"
