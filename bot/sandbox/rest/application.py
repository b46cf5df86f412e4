"""REST handlers for the bot's user, its application, the gateway address, and commands.

The registered commands are what ``PUT .../commands`` last sent, each given a stable id per
name (so a re-sync keeps ids) and the fields Discord fills in.
"""

from __future__ import annotations

from bot.sandbox.interaction_payloads import InteractionPayloads
from bot.sandbox.replies import ApiError, Call, Reply


class ApplicationRoutes(InteractionPayloads):
    """Users, the application, ``/gateway/bot``, and global and guild commands."""

    def _get_user(self, call: Call) -> Reply:
        user = self._users.get(int(call.params["user_id"]))
        if user is None:
            raise ApiError(404, 10013)
        return Reply(200, user)

    def _get_application(self, call: Call) -> Reply:
        owner = (
            self._users[next(iter(self._guilds.values())).spec.owner_id]
            if self._guilds
            else self._users[self.bot_user_id]
        )
        return Reply(
            200,
            {
                "id": str(self.application_id),
                "name": self._users[self.bot_user_id]["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": self._users[self.bot_user_id],
                "rpc_origins": [],
                "install_params": None,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
            },
        )

    def _get_gateway_bot(self, call: Call) -> Reply:
        return Reply(
            200,
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    def _get_commands(self, call: Call) -> Reply:
        guild_id = int(call.params["guild_id"]) if "guild_id" in call.params else None
        return Reply(200, self._commands.get(guild_id, []))

    def _put_commands(self, call: Call) -> Reply:
        guild_id = int(call.params["guild_id"]) if "guild_id" in call.params else None
        if call.params["application_id"] != str(self.application_id):
            raise ApiError(403, 50001, "Missing Access")
        stored = []
        for cmd in call.body or []:
            key = (guild_id, cmd["name"])
            cmd_id = self._command_ids.setdefault(key, self._next_id())
            entry = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                "name_localizations": None,
                "description_localizations": None,
                **cmd,
                "id": str(cmd_id),
                "application_id": str(self.application_id),
                "version": str(self._next_id()),
            }
            if entry["default_member_permissions"] is not None:
                # Sent as a number or a string; Discord answers with the decimal string.
                entry["default_member_permissions"] = str(int(entry["default_member_permissions"]))
            if guild_id is not None:
                entry["guild_id"] = str(guild_id)
            stored.append(entry)
        for key in [
            k
            for k in self._command_ids
            if k[0] == guild_id and k[1] not in {c["name"] for c in stored}
        ]:
            del self._command_ids[key]
        self._commands[guild_id] = stored
        return Reply(200, stored)
