"""Interactions a test sends to the bot, built as Discord builds them.

``slash``, ``autocomplete``, ``click`` and ``modal_submit`` build INTERACTION_CREATE payloads
for a user in a channel (guild or DM): the member with their permissions, the channel, the
command's options with their resolved users, roles, channels and attachments (files
``upload`` took, as a member's client uploads them before sending the command), the clicked
message, the submitted modal's fields in the layout the bot opened it with. ``send_interaction``
dispatches one and returns the ``InteractionHandle`` that collects the bot's answers;
``redeliver`` dispatches it again, as Discord does to two sessions on the same shard.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

from bot.sandbox.faults import FaultInjection
from bot.sandbox.records import InteractionHandle, Opt, StoredMessage, walk_components
from bot.sandbox.replies import JSON
from bot.sandbox.world import (
    APPLICATION_COMMAND,
    ATTACHMENT,
    AUTOCOMPLETE,
    BOOLEAN,
    CHANNEL,
    EVERYONE_PERMISSIONS,
    INTEGER,
    MENTIONABLE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)

# What Discord lets a member upload, as the interaction's attachment_size_limit tells the bot.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    raise TypeError(f"cannot infer an option type for {value!r}: pass Opt(type, value)")


class InteractionPayloads(FaultInjection):
    """Builds interaction payloads and sends them to the connected bot."""

    interactions: list[InteractionHandle]  # every interaction sent, oldest first

    async def send_interaction(self, payload: JSON) -> InteractionHandle:
        """Dispatch INTERACTION_CREATE to the connected bot(s) serving its guild's shard."""
        handle = InteractionHandle(self, payload)
        self._by_id[handle.id] = handle
        self._by_token[handle.token] = handle
        self.interactions.append(handle)
        if not await self.dispatch("INTERACTION_CREATE", payload):
            raise RuntimeError(
                "no bot is connected to the emulator's gateway for this interaction's shard"
            )
        return handle

    async def redeliver(self, handle: InteractionHandle) -> None:
        """Dispatch the same INTERACTION_CREATE again (same id and token), as Discord does to
        each of two sessions identified as the same shard. Its callbacks and follow-ups go to
        the same ``handle``: only the first callback is accepted, later ones get 40060."""
        if not await self.dispatch("INTERACTION_CREATE", handle.payload):
            raise RuntimeError("no bot is connected to the emulator's gateway")

    def _interaction(
        self,
        itype: int,
        user_id: int,
        channel_id: int | None,
        data: JSON,
        message: JSON | None = None,
    ) -> JSON:
        if channel_id is None:
            channel_id = self._default_channel()
        guild_id = self._channel_guild.get(channel_id)
        payload: JSON = {
            "id": str(self._next_id()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": f"itok-{secrets.token_urlsafe(24)}",
            "version": 1,
            "data": data,
            "channel_id": str(channel_id),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if guild_id is None:  # a DM with the bot
            channel = self._channels.get(channel_id)
            if channel is None or channel["type"] != 1:
                raise ValueError(f"unknown channel {channel_id}")
            payload.update(
                user=self._users[user_id],
                channel=channel,
                context=1,
                authorizing_integration_owners={"0": "0"},
                app_permissions=str(EVERYONE_PERMISSIONS),
            )
        else:
            perms = self.permissions(guild_id, user_id)
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": str(guild_id)},
                member={
                    **self._member_object(self._guilds[guild_id], user_id),
                    "permissions": str(perms),
                },
                channel={**self._channels[channel_id], "permissions": str(perms)},
                app_permissions=str(self.permissions(guild_id, self.bot_user_id)),
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    def _resolve(
        self, resolved: JSON, guild_id: int | None, user_id: int, opt_type: int, value: int
    ) -> None:
        """Add an option's user, member, role or channel to ``data.resolved``, as Discord does."""
        if opt_type in (USER, MENTIONABLE) and value in self._users:
            resolved.setdefault("users", {})[str(value)] = self._users[value]
            guild = self._guilds.get(guild_id or 0)
            if guild and value in guild.members:
                member = self._member_object(guild, value)
                del member["user"]
                member["permissions"] = str(self.permissions(guild.spec.id, value))
                resolved.setdefault("members", {})[str(value)] = member
        elif opt_type in (ROLE, MENTIONABLE) and guild_id and value in self._guilds[guild_id].roles:
            role = self._role_object(self._guilds[guild_id].roles[value])
            resolved.setdefault("roles", {})[str(value)] = role
        elif opt_type == CHANNEL and value in self._channels:
            ch = self._channels[value]
            resolved.setdefault("channels", {})[str(value)] = {
                k: ch[k]
                for k in ("id", "type", "name", "guild_id", "parent_id", "flags")
                if k in ch
            } | {"permissions": str(self.permissions(guild_id, user_id) if guild_id else 0)}

    def upload(self, filename: str, content: bytes, content_type: str = "text/csv") -> Opt:
        """A file a member attaches to a command, ready to pass as an option's value: Discord's
        client uploads it first, then the command carries its id and ``data.resolved`` its
        object, whose url serves the bytes from the emulator."""
        if not filename or "/" in filename or "\\" in filename:
            raise ValueError(f"not a file name: {filename!r}")
        if len(content) > ATTACHMENT_SIZE_LIMIT:
            raise ValueError(f"{filename} is over Discord's {ATTACHMENT_SIZE_LIMIT} bytes")
        stored = self._store_attachment(filename, content, content_type, ephemeral=True)
        return Opt(ATTACHMENT, stored.id)

    def _resolve_attachment(self, resolved: JSON, attachment_id: int) -> None:
        stored = self.attachment(attachment_id)
        if stored is None:
            raise ValueError(f"no file {attachment_id} was uploaded: pass emulator.upload(...)")
        resolved.setdefault("attachments", {})[str(stored.id)] = stored.to_json(self.base_url)

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        subcommand: str | None,
        *,
        user_id: int,
        channel_id: int | None,
        focused: str | None = None,
        guild_command: bool | None = None,
    ) -> JSON:
        guild_id = self._channel_guild.get(channel_id or self._default_channel())
        resolved: JSON = {}
        opts: list[JSON] = []
        for opt_name, raw in (options or {}).items():
            opt = raw if isinstance(raw, Opt) else Opt(_infer_option_type(raw), raw)
            value = opt.value
            if opt.type in (USER, CHANNEL, ROLE, MENTIONABLE):
                self._resolve(resolved, guild_id, user_id, opt.type, int(value))
                value = str(value)
            elif opt.type == ATTACHMENT:
                self._resolve_attachment(resolved, int(value))
                value = str(value)
            entry: JSON = {"type": opt.type, "name": opt_name, "value": value}
            if opt_name == focused:
                entry["focused"] = True
            opts.append(entry)
        *group, sub = (subcommand or "").split() or [""]
        if sub:
            opts = [{"type": SUB_COMMAND, "name": sub, "options": opts}]
        if group:
            opts = [{"type": SUB_COMMAND_GROUP, "name": group[0], "options": opts}]
        if guild_command is None:
            guild_command = (guild_id, name) in self._command_ids
        key = (guild_id if guild_command else None, name)
        cmd_id = self._command_ids.get(key) or self._next_id()
        data: JSON = {"id": str(cmd_id), "name": name, "type": 1, "options": opts}
        if guild_command and guild_id:
            data["guild_id"] = str(guild_id)
        if resolved:
            data["resolved"] = resolved
        return data

    def slash(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
        subcommand: str | None = None,
        *,
        channel_id: int | None = None,
        guild_command: bool | None = None,
    ) -> JSON:
        """A chat-input command. Option types follow the Python value (str 3, bool 5, int 4,
        float 10); use ``Opt(USER, id)`` etc. for users, channels, roles, and
        ``upload(filename, bytes)`` for a file. ``subcommand`` is
        ``"sub"`` or ``"group sub"``. ``guild_command`` (default: whether the command was synced
        to this guild) adds ``data.guild_id``, which discord.py needs to find guild commands."""
        data = self._command_data(
            name,
            options,
            subcommand,
            user_id=user_id,
            channel_id=channel_id,
            guild_command=guild_command,
        )
        return self._interaction(APPLICATION_COMMAND, user_id, channel_id, data)

    def autocomplete(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        subcommand: str | None = None,
        *,
        channel_id: int | None = None,
        guild_command: bool | None = None,
    ) -> JSON:
        data = self._command_data(
            name,
            options,
            subcommand,
            user_id=user_id,
            channel_id=channel_id,
            focused=focused,
            guild_command=guild_command,
        )
        return self._interaction(AUTOCOMPLETE, user_id, channel_id, data)

    def click(
        self,
        user_id: int,
        message: StoredMessage | JSON | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> JSON:
        """A click on a button (or a choice in a select menu when ``values`` is given) of a
        stored message; the payload carries the message with its components, as Discord's does."""
        if isinstance(message, int):
            stored = self.message_by_id(message)
            if stored is None:
                raise KeyError(message)
            message = stored
        msg = message.data if isinstance(message, StoredMessage) else message
        component = next(
            (c for c in walk_components(msg["components"]) if c.get("custom_id") == custom_id),
            None,
        )
        if component is None:
            raise ValueError(f"message {msg['id']} has no component {custom_id!r}")
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        return self._interaction(MESSAGE_COMPONENT, user_id, int(msg["channel_id"]), data, msg)

    def modal_submit(
        self,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str],
        message: StoredMessage | JSON | None = None,
        *,
        channel_id: int | None = None,
    ) -> JSON:
        """A modal submission. The components mirror the layout of the modal the bot opened
        (action rows, or labels of type 18); text inputs are rows when the modal is unknown."""
        msg = message.data if isinstance(message, StoredMessage) else message
        if msg is not None and channel_id is None:
            channel_id = int(msg["channel_id"])
        modal = self._modals.get(custom_id)
        components = (
            self._submitted(modal["components"], values)
            if modal
            else [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                for k, v in values.items()
            ]
        )
        data = {"custom_id": custom_id, "components": components}
        return self._interaction(MODAL_SUBMIT, user_id, channel_id, data, msg)

    def _submitted(self, components: list[JSON], values: Mapping[str, str]) -> list[JSON]:
        out: list[JSON] = []
        for c in components:
            if c["type"] == 1:
                out.append({"type": 1, "components": self._submitted(c["components"], values)})
            elif c["type"] == 18:
                out.append(
                    {
                        "type": 18,
                        "id": c.get("id", 0),
                        "component": self._submitted([c["component"]], values)[0],
                    }
                )
            elif c["type"] == 4:
                out.append(
                    {
                        "type": 4,
                        "id": c.get("id", 0),
                        "custom_id": c["custom_id"],
                        "value": values.get(c["custom_id"], ""),
                    }
                )
            elif "custom_id" in c:
                out.append(
                    {
                        "type": c["type"],
                        "custom_id": c["custom_id"],
                        "values": list(values.get(c["custom_id"], [])),
                    }
                )
        return out
