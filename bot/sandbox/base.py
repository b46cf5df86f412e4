"""The state every part of the emulator shares, and the world's objects as Discord sends them.

The emulator is a chain of classes, each adding one part on top of the ones before it:
``EmulatorBase`` (here) -> ``GatewayServer`` (gateway.py) -> ``FaultInjection`` (faults.py)
-> ``InteractionPayloads`` (interaction_payloads.py) -> ``ApplicationRoutes``,
``MessageRoutes``, ``InteractionRoutes`` (rest/) -> ``DiscordEmulator`` (emulator.py), whose
constructor sets the attributes each part declares. Each part calls only what the parts
before it define.

``EmulatorBase`` holds the guilds, users, channels and messages, turns them into Discord's
JSON objects (users, members, roles, GUILD_CREATE), mints snowflakes, computes permissions,
and answers the lookups a test and the later parts need (channels by name, DM channels,
messages, attachments and their bytes).
"""

from __future__ import annotations

import itertools
import logging
import mimetypes
import time

from bot.sandbox.records import InteractionHandle, StoredAttachment, StoredMessage
from bot.sandbox.replies import JSON, Route
from bot.sandbox.world import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    Guild,
    GuildSpec,
    MemberSpec,
    RoleSpec,
)

# Every part of the emulator logs under one name, so one logger setting covers them all.
log = logging.getLogger("bot.sandbox.emulator")


class EmulatorBase:
    """The world the emulator serves and the messages it holds, shared by all its parts."""

    application_id: int
    bot_user_id: int
    base_url: str  # http://127.0.0.1:<port> once started
    gateway_url: str  # ws://127.0.0.1:<port>/gateway once started

    _ids: itertools.count[int]
    _bot: MemberSpec
    _guilds: dict[int, Guild]
    _users: dict[int, JSON]
    _channels: dict[int, JSON]
    _channel_guild: dict[int, int]
    _dm_channels: dict[int, int]  # user id -> DM channel id
    _dms_closed: set[int]
    _messages: dict[int, StoredMessage]
    _commands: dict[int | None, list[JSON]]  # guild id (None: global) -> commands
    _command_ids: dict[tuple[int | None, str], int]
    _by_id: dict[int, InteractionHandle]
    _by_token: dict[str, InteractionHandle]
    _modals: dict[str, JSON]  # custom_id -> modal the bot opened
    _attachments: dict[int, StoredAttachment]  # every file uploaded or sent, by id
    _routes: list[Route]

    # --- world ---

    def _add_guild(self, spec: GuildSpec) -> None:
        roles = {spec.id: RoleSpec(spec.id, "@everyone", spec.everyone_permissions, position=0)}
        roles.update({r.id: r for r in spec.roles})
        members = {m.user_id: m for m in spec.members}
        members.setdefault(self.bot_user_id, self._bot)
        self._guilds[spec.id] = Guild(spec, roles, members)
        for m in members.values():
            self._users.setdefault(m.user_id, self._user_object(m))
            if not m.dms_open:
                self._dms_closed.add(m.user_id)
        for position, ch in enumerate(spec.channels):
            self._channel_guild[ch.id] = spec.id
            self._channels[ch.id] = {
                "id": str(ch.id),
                "type": 0,
                "guild_id": str(spec.id),
                "name": ch.name,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
                "last_message_id": None,
                "flags": 0,
            }

    def _default_channel(self) -> int:
        """The first text channel of the first guild (#auctions in the default world)."""
        return next(iter(self._channel_guild))

    def _next_id(self) -> int:
        """A snowflake: milliseconds since Discord's epoch, then a counter."""
        return ((int(time.time() * 1000) - 1_420_070_400_000) << 22) | (next(self._ids) & 0x3FFFFF)

    @staticmethod
    def _user_object(m: MemberSpec) -> JSON:
        user: JSON = {
            "id": str(m.user_id),
            "username": m.username,
            "global_name": m.global_name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if m.bot:
            user["bot"] = True
        return user

    def _member_object(self, guild: Guild, user_id: int) -> JSON:
        m = guild.members[user_id]
        return {
            "user": self._users[user_id],
            "roles": [str(r) for r in m.role_ids],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def permissions(self, guild_id: int, user_id: int) -> int:
        """A member's guild permissions: @everyone plus their roles; everything for owner/admin."""
        guild = self._guilds[guild_id]
        if user_id == guild.spec.owner_id:
            return ALL_PERMISSIONS
        perms = int(guild.roles[guild_id].permissions)
        for role_id in guild.members[user_id].role_ids:
            perms |= int(guild.roles[role_id].permissions)
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def _role_object(self, role: RoleSpec) -> JSON:
        return {
            "id": str(role.id),
            "name": role.name,
            "permissions": role.permissions,
            "position": role.position,
            "color": 0,
            "colors": {"primary_color": 0},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _guild_create(self, guild: Guild) -> JSON:
        spec = guild.spec
        return {
            "id": str(spec.id),
            "name": spec.name,
            "owner_id": str(spec.owner_id),
            "icon": None,
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": "2024-01-01T00:00:00+00:00",
            "roles": [self._role_object(r) for r in guild.roles.values()],
            "channels": [self._channels[c.id] for c in spec.channels if c.id in self._channels],
            "members": [self._member_object(guild, uid) for uid in guild.members],
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "system_channel_id": None,
            "description": None,
            "banner": None,
            "splash": None,
            "application_id": None,
        }

    def channel_id(self, name: str, guild_id: int | None = None) -> int:
        """The id of the guild text channel called ``name``."""
        for cid, ch in self._channels.items():
            if ch.get("name") == name and (
                guild_id is None or self._channel_guild[cid] == guild_id
            ):
                return cid
        raise KeyError(name)

    def set_dms_open(self, user_id: int, is_open: bool) -> None:
        """Closed DMs make sends to the user's DM channel fail with 403, code 50007."""
        (self._dms_closed.discard if is_open else self._dms_closed.add)(user_id)

    def dm_channel_id(self, user_id: int) -> int:
        """The bot's DM channel with a user (created if needed), e.g. for DM interactions."""
        return int(self._dm_channel(user_id)["id"])

    def _dm_channel(self, user_id: int) -> JSON:
        cid = self._dm_channels.get(user_id)
        if cid is None:
            cid = self._dm_channels[user_id] = self._next_id()
            self._channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self._users[user_id]],
            }
        return self._channels[cid]

    # --- messages ---

    def message_by_id(self, message_id: int) -> StoredMessage | None:
        return self._messages.get(message_id)

    def opened_modal(self, custom_id: str) -> JSON | None:
        """The dialog (modal) the bot opened with this custom id, if it opened one."""
        return self._modals.get(custom_id)

    def channel_messages(
        self, channel_id: int, *, include_deleted: bool = False, include_ephemeral: bool = False
    ) -> list[StoredMessage]:
        """Messages in a channel, oldest first, each in its current (edited) state."""
        return [
            m
            for m in self._messages.values()
            if m.channel_id == channel_id
            and (include_deleted or not m.deleted)
            and (include_ephemeral or not m.ephemeral)
        ]

    def dm_messages(self, user_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        cid = self._dm_channels.get(user_id)
        return [] if cid is None else self.channel_messages(cid, include_deleted=include_deleted)

    # --- attachments ---

    def _store_attachment(
        self,
        filename: str,
        content: bytes,
        content_type: str | None = None,
        *,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> StoredAttachment:
        """Keep a file's bytes under a new id; Discord names the type from the file's name when
        the uploader did not say (discord.py sends every file as application/octet-stream)."""
        if content_type in (None, "application/octet-stream"):
            content_type = mimetypes.guess_type(filename)[0] or content_type
        stored = StoredAttachment(
            self._next_id(), filename, content, content_type, description, ephemeral
        )
        self._attachments[stored.id] = stored
        return stored

    def attachment(self, attachment_id: int) -> StoredAttachment | None:
        """A file uploaded with a command or sent by the bot, with its bytes."""
        return self._attachments.get(attachment_id)

    def attachment_bytes(self, message: StoredMessage, filename: str) -> bytes:
        """The bytes of the file called ``filename`` on a message as it is now."""
        for a in message.data["attachments"]:
            stored = self._attachments.get(int(a["id"]))
            if a["filename"] == filename and stored is not None:
                return stored.content
        names = ", ".join(a["filename"] for a in message.data["attachments"]) or "none"
        raise KeyError(f"message {message.id} has no attachment {filename!r} (it has {names})")
