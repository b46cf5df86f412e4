"""REST handlers for interaction callbacks, follow-ups and the interaction webhook's messages.

A callback is accepted once, within ``interaction_timeout`` of the dispatch (later ones get
10062, a second one 40060); follow-ups and edits through the webhook work for
``token_lifetime`` after it. The first follow-up after a deferred answer replaces the
"thinking" message, as on Discord.
"""

from __future__ import annotations

import time

from bot.sandbox.records import InteractionHandle, StoredMessage
from bot.sandbox.replies import JSON, ApiError, Call, Reply
from bot.sandbox.rest.messages import MessageRoutes
from bot.sandbox.world import LOADING, MODAL_SUBMIT


class InteractionRoutes(MessageRoutes):
    """Interaction callbacks, and the follow-ups and edits made with the token."""

    interaction_timeout: float  # seconds to the first callback
    token_lifetime: float  # seconds follow-ups and edits stay allowed

    def _callback(self, call: Call) -> Reply:
        handle = self._by_id.get(int(call.params["interaction_id"]))
        if handle is None or handle.token != call.params["interaction_token"]:
            raise ApiError(404, 10062)
        body: JSON = call.body or {}
        handle.attempts.append(body)
        if handle.acknowledged:
            raise ApiError(400, 40060)
        if time.monotonic() - handle.dispatched_at > self.interaction_timeout:
            handle.expired = True
            raise ApiError(404, 10062)
        cb_type, data = body.get("type"), body.get("data") or {}
        if cb_type == 9 and handle.type == MODAL_SUBMIT:
            raise ApiError(400, 50035, "Invalid Form Body: a modal submit cannot open a modal")
        message: StoredMessage | None = None
        if cb_type in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if cb_type == 5 else 0)
            message = self._make_message(
                handle.channel_id,
                data if cb_type == 4 else {},
                call.files,
                handle=handle,
                flags=flags,
            )
            handle.original_message_id = message.id
        elif cb_type in (6, 7) and "message" in handle.payload:
            message = self._messages.get(int(handle.payload["message"]["id"]))
            handle.original_message_id = message.id if message else None
            if message is not None and cb_type == 7:
                self._edit(message, data, call.files)
        elif cb_type == 9:
            self._modals[data.get("custom_id", "")] = data
        handle._accept(body)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return Reply(204)
        interaction: JSON = {"id": str(handle.id), "type": handle.type}
        resource: JSON = {"type": cb_type}
        if message is not None:
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=cb_type == 5,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.data
        return Reply(200, {"interaction": interaction, "resource": resource})

    def _hook(self, call: Call) -> InteractionHandle:
        handle = self._by_token.get(call.params["interaction_token"])
        if (
            handle is None
            or call.params["application_id"] != str(self.application_id)
            or not handle.acknowledged
        ):
            raise ApiError(404, 10015)
        if time.monotonic() - handle.dispatched_at > self.token_lifetime:
            raise ApiError(401, 50027)
        return handle

    def _followup(self, call: Call) -> Reply:
        handle = self._hook(call)
        body: JSON = call.body or {}
        original = handle.original
        if original is not None and original.data["flags"] & LOADING:
            # The first follow-up after a deferred response replaces the "thinking" message.
            self._edit(original, body, call.files)
            msg = original
        else:
            msg = self._make_message(
                handle.channel_id, body, call.files, handle=handle, flags=body.get("flags") or 0
            )
            handle.followup_ids.append(msg.id)
        wait = call.query.get("wait") in ("1", "true", "True")
        return Reply(200, msg.data) if wait else Reply(204)

    def _webhook_message(self, call: Call) -> Reply:
        handle = self._hook(call)
        mid = call.params["message_id"]
        if mid == "@original":
            mid = str(handle.original_message_id or "")
        if not mid.isdigit() or (
            int(mid) != handle.original_message_id and int(mid) not in handle.followup_ids
        ):
            raise ApiError(404, 10008)
        msg = self._messages[int(mid)]
        if msg.deleted:
            raise ApiError(404, 10008)
        return self._message_verb(msg, call)
