"""REST handlers for channels, their messages, and DMs.

Messages are created (in a channel, or as an interaction's answer), edited with their earlier
versions kept, fetched, listed and deleted; mentions are computed from the content and the
``allowed_mentions`` as Discord does. A closed DM answers 403 (50007); a repeated nonce with
``enforce_nonce`` returns the message it already created.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

from bot.sandbox.records import InteractionHandle, StoredMessage
from bot.sandbox.replies import JSON, ApiError, Call, Reply, UploadedFile
from bot.sandbox.rest.application import ApplicationRoutes
from bot.sandbox.world import APPLICATION_COMMAND, EPHEMERAL, LOADING


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class MessageRoutes(ApplicationRoutes):
    """Channels, messages and DM channels, and the message store's create and edit."""

    _nonces: dict[tuple[int, str], int]  # (channel id, nonce) -> message id

    def _make_message(
        self,
        channel_id: int,
        body: JSON,
        files: list[UploadedFile],
        *,
        handle: InteractionHandle | None = None,
        flags: int = 0,
    ) -> StoredMessage:
        data: JSON = {
            "id": str(self._next_id()),
            "channel_id": str(channel_id),
            "author": self._users[self.bot_user_id],
            "content": "",
            "embeds": [],
            "components": [],
            "attachments": [],
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "pinned": False,
            "type": 0,
            "flags": flags,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
        }
        if "nonce" in body:
            data["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if ref:
            data["type"] = 19
            data["message_reference"] = {"type": 0, "channel_id": str(channel_id), **ref}
            target = self._messages.get(int(ref.get("message_id", 0)))
            data["referenced_message"] = target.data if target and not target.deleted else None
        if handle is not None:
            data["type"] = 20 if handle.type == APPLICATION_COMMAND else data["type"]
            data["webhook_id"] = data["application_id"] = str(self.application_id)
            user = handle.payload.get("member", {}).get("user") or handle.payload.get("user")
            data["interaction_metadata"] = {
                "id": str(handle.id),
                "type": handle.type,
                "user": user,
                "authorizing_integration_owners": handle.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        stored = StoredMessage(
            data,
            allowed_mentions=body.get("allowed_mentions"),
            interaction_id=handle.id if handle else None,
        )
        self._apply(stored, body, files)
        self._messages[stored.id] = stored
        if channel_id in self._channels:  # an interaction's answer in a deleted channel
            self._channels[channel_id]["last_message_id"] = data["id"]
        return stored

    def _apply(self, msg: StoredMessage, body: JSON, files: list[UploadedFile]) -> None:
        """Apply a create or edit body to a message and recompute its mentions."""
        data = msg.data
        for key in ("content", "embeds", "components"):
            if key in body:
                data[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "flags" in body:
            data["flags"] = (body["flags"] or 0) | (data["flags"] & EPHEMERAL)
        self._attach(msg, body.get("attachments"), files)
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        allowed = msg.allowed_mentions
        parse = (
            ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
        )
        users = {int(u) for u in (allowed or {}).get("users") or []}
        roles = {int(r) for r in (allowed or {}).get("roles") or []}
        content = data["content"]
        user_ids = dict.fromkeys(int(u) for u in re.findall(r"<@!?(\d+)>", content))
        role_ids = dict.fromkeys(int(r) for r in re.findall(r"<@&(\d+)>", content))
        data["mentions"] = [
            self._users[u]
            for u in user_ids
            if u in self._users and ("users" in parse or u in users)
        ]
        data["mention_roles"] = [str(r) for r in role_ids if "roles" in parse or r in roles]
        data["mention_everyone"] = (
            "everyone" in parse and re.search(r"@(everyone|here)\b", content) is not None
        )

    def _attach(
        self, msg: StoredMessage, listed: list[JSON] | None, files: list[UploadedFile]
    ) -> None:
        """Keep the attachments the body lists (all when it lists none) and add the uploaded
        files; a listed ``{"id": n, "filename", "description"}`` names ``files[n]``, as on
        Discord, where the id of a new file is its index."""
        data = msg.data
        by_id = {str(a.get("id")): a for a in listed or []}
        if listed is not None:
            data["attachments"] = [a for a in data["attachments"] if a["id"] in by_id]
        for f in files:
            meta = by_id.get(str(f.index), {})
            stored = self._store_attachment(
                meta.get("filename") or f.filename,
                f.content,
                f.content_type,
                description=meta.get("description"),
                ephemeral=msg.ephemeral,
            )
            data["attachments"].append(stored.to_json(self.base_url))

    def _edit(self, msg: StoredMessage, body: JSON, files: list[UploadedFile]) -> None:
        msg.history.append(copy.deepcopy(msg.data))
        msg.data["flags"] &= ~LOADING
        self._apply(msg, body, files)
        msg.data["edited_timestamp"] = _now_iso()

    def _channel(self, call: Call) -> JSON:
        channel = self._channels.get(int(call.params["channel_id"]))
        if channel is None:
            raise ApiError(404, 10003)
        return channel

    def _message_in(self, channel_id: int, message_id: str) -> StoredMessage:
        msg = self._messages.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or msg.channel_id != channel_id:
            raise ApiError(404, 10008)
        return msg

    def _get_channel(self, call: Call) -> Reply:
        return Reply(200, self._channel(call))

    def _list_messages(self, call: Call) -> Reply:
        channel = self._channel(call)
        limit = int(call.query.get("limit", "50"))
        msgs = [m.data for m in reversed(self.channel_messages(int(channel["id"])))]
        return Reply(200, msgs[:limit])

    def _create_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        channel_id = int(channel["id"])
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self._dms_closed:
            raise ApiError(403, 50007)
        body: JSON = call.body or {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = self._messages.get(self._nonces.get((channel_id, str(nonce)), 0))
            if existing is not None and not existing.deleted:
                return Reply(200, existing.data)
        msg = self._make_message(channel_id, body, call.files)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = msg.id
        return Reply(200, msg.data)

    def _channel_message(self, call: Call) -> Reply:
        msg = self._message_in(int(self._channel(call)["id"]), call.params["message_id"])
        return self._message_verb(msg, call)

    def _message_verb(self, msg: StoredMessage, call: Call) -> Reply:
        """GET, PATCH or DELETE of a message."""
        if call.method == "DELETE":
            msg.deleted = True
            return Reply(204)
        if call.method == "PATCH":
            self._edit(msg, call.body or {}, call.files)
        return Reply(200, msg.data)

    def _open_dm(self, call: Call) -> Reply:
        user_id = int((call.body or {}).get("recipient_id", 0))
        if user_id not in self._users:
            raise ApiError(404, 10013)
        return Reply(200, self._dm_channel(user_id))
