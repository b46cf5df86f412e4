"""``GuildDirectory`` over the bot's own cache: which server a channel or role is in."""

from __future__ import annotations

from discord.ext import commands


class CachedDirectory:
    def __init__(self, bot: commands.Bot) -> None:
        self._bot = bot

    def channel_in_guild(self, channel_id: int, guild_id: int) -> bool:
        guild = self._bot.get_guild(guild_id)
        return guild is not None and guild.get_channel(channel_id) is not None

    def role_in_guild(self, role_id: int, guild_id: int) -> bool:
        guild = self._bot.get_guild(guild_id)
        return guild is not None and guild.get_role(role_id) is not None
