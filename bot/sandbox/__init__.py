"""A loopback Discord: REST and gateway on 127.0.0.1 that the real discord.py client talks to.

The end-to-end tests and the benchmarks drive the bot through it; it holds what they assert
on (messages with their edit history, DMs, registered commands, every request) and injects
the failures a bot must survive. It never talks to the real Discord and needs no token.
"""

from bot.sandbox.emulator import DiscordEmulator
from bot.sandbox.openapi_check import VENDORED_SPEC
from bot.sandbox.records import (
    InteractionHandle,
    Opt,
    RecordedRequest,
    StoredAttachment,
    StoredMessage,
)
from bot.sandbox.world import (
    ALICE_ID,
    APPLICATION_ID,
    ATTACHMENT,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    BIDDER_ROLE_ID,
    BOB_ID,
    CAROL_ID,
    CHANNEL,
    EVERYONE_NAMED_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    OWNER_ID,
    ROLE,
    USER,
    ChannelSpec,
    GuildSpec,
    MemberSpec,
    RoleSpec,
    default_world,
    guild_id_on_shard,
    guild_on_shard,
    shard_of,
)

__all__ = [
    "ALICE_ID",
    "APPLICATION_ID",
    "ATTACHMENT",
    "AUCTIONS_CHANNEL_ID",
    "AUDIT_CHANNEL_ID",
    "BIDDER_ROLE_ID",
    "BOB_ID",
    "CAROL_ID",
    "CHANNEL",
    "EVERYONE_NAMED_ID",
    "GENERAL_CHANNEL_ID",
    "GUILD_ID",
    "MANAGE_GUILD",
    "MODERATOR_ID",
    "MODERATOR_ROLE_ID",
    "OWNER_ID",
    "ROLE",
    "USER",
    "VENDORED_SPEC",
    "ChannelSpec",
    "DiscordEmulator",
    "GuildSpec",
    "InteractionHandle",
    "MemberSpec",
    "Opt",
    "RecordedRequest",
    "RoleSpec",
    "StoredAttachment",
    "StoredMessage",
    "default_world",
    "guild_id_on_shard",
    "guild_on_shard",
    "shard_of",
]
