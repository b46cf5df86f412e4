"""``GuildDirectory`` over the bot's own cache: which server a channel or role is in."""

from __future__ import annotations

import discord


class CachedDirectory:
    # Any client: a sharded bot's cache holds only the servers of its own shards, which are
    # the only ones whose interactions it receives.
    def __init__(self, bot: discord.Client) -> None:
        self._bot = bot

    def channel_in_guild(self, channel_id: int, guild_id: int) -> bool:
        guild = self._bot.get_guild(guild_id)
        return guild is not None and guild.get_channel(channel_id) is not None

    def role_in_guild(self, role_id: int, guild_id: int) -> bool:
        guild = self._bot.get_guild(guild_id)
        return guild is not None and guild.get_role(role_id) is not None
