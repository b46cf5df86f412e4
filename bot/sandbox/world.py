"""The world the emulator serves: guilds, channels, roles and members, and Discord's numbers.

Permission bits, message flags, interaction and option types; the ids of the default world
(one guild with #auctions, #general and #audit, an owner, a moderator and three bidders),
which a test imports to name its actors; the specs a test writes to describe another world;
``guild_on_shard``, a server like the default one whose id lands on a chosen shard; and
``Guild``, a guild as the emulator holds it while running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Permission bits.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 52) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
)
EPHEMERAL = 1 << 6  # message flag
LOADING = 1 << 7  # message flag of a deferred response ("Bot is thinking...")

# Interaction types, option types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
)
NUMBER = 10
ATTACHMENT = 11


# The default world: snowflake-looking ids a test can import.
APPLICATION_ID = 1_210_000_000_000_000_001
GUILD_ID = 1_210_000_000_000_000_100
AUCTIONS_CHANNEL_ID = 1_210_000_000_000_000_201
GENERAL_CHANNEL_ID = 1_210_000_000_000_000_202
AUDIT_CHANNEL_ID = 1_210_000_000_000_000_203
MODERATOR_ROLE_ID = 1_210_000_000_000_000_301
BIDDER_ROLE_ID = 1_210_000_000_000_000_302
OWNER_ID = 1_210_000_000_000_000_401
MODERATOR_ID = 1_210_000_000_000_000_402
ALICE_ID = 1_210_000_000_000_000_403
BOB_ID = 1_210_000_000_000_000_404
CAROL_ID = 1_210_000_000_000_000_405
EVERYONE_NAMED_ID = 1_210_000_000_000_000_406  # username "@everyone", for escaping tests


@dataclass(frozen=True)
class RoleSpec:
    id: int
    name: str
    permissions: str = "0"  # bitfield as a decimal string, as Discord sends it
    position: int = 1


@dataclass(frozen=True)
class ChannelSpec:
    id: int
    name: str  # a text channel (type 0)


@dataclass(frozen=True)
class MemberSpec:
    user_id: int
    username: str
    role_ids: Sequence[int] = ()
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True


@dataclass(frozen=True)
class GuildSpec:
    id: int
    name: str
    owner_id: int
    roles: Sequence[RoleSpec] = ()  # the @everyone role (id == guild id) is added if missing
    channels: Sequence[ChannelSpec] = ()
    members: Sequence[MemberSpec] = ()  # the bot is added if missing
    everyone_permissions: str = str(EVERYONE_PERMISSIONS)


def default_world() -> list[GuildSpec]:
    """One guild: #auctions, #general, #audit; an owner, a moderator, three bidders."""
    return [
        GuildSpec(
            id=GUILD_ID,
            name="Handle Market",
            owner_id=OWNER_ID,
            roles=(
                RoleSpec(MODERATOR_ROLE_ID, "Moderator", str(MANAGE_GUILD), position=2),
                RoleSpec(BIDDER_ROLE_ID, "Bidder", "0", position=1),
            ),
            channels=(
                ChannelSpec(AUCTIONS_CHANNEL_ID, "auctions"),
                ChannelSpec(GENERAL_CHANNEL_ID, "general"),
                ChannelSpec(AUDIT_CHANNEL_ID, "audit"),
            ),
            members=(
                MemberSpec(OWNER_ID, "owner"),
                MemberSpec(MODERATOR_ID, "mod_maria", (MODERATOR_ROLE_ID,)),
                MemberSpec(ALICE_ID, "alice", (BIDDER_ROLE_ID,), global_name="Alice"),
                MemberSpec(BOB_ID, "bob", (BIDDER_ROLE_ID,)),
                MemberSpec(CAROL_ID, "carol"),
                MemberSpec(EVERYONE_NAMED_ID, "@everyone", global_name="@here **bold**"),
            ),
        )
    ]


# A snowflake's low 22 bits (worker, process, increment); the bits above are its time, and
# what the shard formula reads.
_LOW_BITS = 22
_LOW_MASK = (1 << _LOW_BITS) - 1


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's formula)."""
    return (guild_id >> _LOW_BITS) % shard_count


def guild_id_on_shard(shard_id: int, shard_count: int, *, number: int = 1) -> int:
    """A snowflake for a guild on ``shard_id`` of ``shard_count``: the first one at or after
    the default guild's time, told apart from the default world's ids (and from other
    ``number``s) by its low bits, which the shard formula does not read."""
    if not 0 <= shard_id < shard_count:
        raise ValueError(f"shard {shard_id} is not one of 0 to {shard_count - 1}")
    if not 1 <= number <= 400:  # 1,000 ids apart, within the 22 low bits
        raise ValueError(f"number must be from 1 to 400, not {number}")
    high = GUILD_ID >> _LOW_BITS
    high += (shard_id - high) % shard_count
    return (high << _LOW_BITS) | ((GUILD_ID & _LOW_MASK) + 1000 * number)


def guild_on_shard(
    shard_id: int, shard_count: int, *, number: int = 1, name: str | None = None
) -> GuildSpec:
    """A server like the default one, on ``shard_id`` of ``shard_count``: #auctions,
    #general and #audit, and the default world's people (the owner, mod_maria with this
    server's Moderator role, alice and bob with its Bidder role, carol). Its channel and role
    ids are its own id plus 101, 102, 103 (channels) and 201, 202 (Moderator, Bidder);
    several such servers differ by ``number``."""
    guild_id = guild_id_on_shard(shard_id, shard_count, number=number)
    moderator_role, bidder_role = guild_id + 201, guild_id + 202
    return GuildSpec(
        id=guild_id,
        name=name or f"Shard {shard_id} Market",
        owner_id=OWNER_ID,
        roles=(
            RoleSpec(moderator_role, "Moderator", str(MANAGE_GUILD), position=2),
            RoleSpec(bidder_role, "Bidder", "0", position=1),
        ),
        channels=(
            ChannelSpec(guild_id + 101, "auctions"),
            ChannelSpec(guild_id + 102, "general"),
            ChannelSpec(guild_id + 103, "audit"),
        ),
        members=(
            MemberSpec(OWNER_ID, "owner"),
            MemberSpec(MODERATOR_ID, "mod_maria", (moderator_role,)),
            MemberSpec(ALICE_ID, "alice", (bidder_role,), global_name="Alice"),
            MemberSpec(BOB_ID, "bob", (bidder_role,)),
            MemberSpec(CAROL_ID, "carol"),
        ),
    )


@dataclass
class Guild:
    """A guild as the emulator holds it: its spec, and its roles and members by id."""

    spec: GuildSpec
    roles: dict[int, RoleSpec]
    members: dict[int, MemberSpec]
