"""The sandbox's server: who is in it, which channels it has, and what the bot is told.

One server, "Handle Market", with an auction channel, an audit channel and a general one; a
server admin (the owner), a moderator and four members, each with a name the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    BIDDER_ROLE_ID,
    BOB_ID,
    CAROL_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    OWNER_ID,
    ChannelSpec,
    GuildSpec,
    MemberSpec,
    RoleSpec,
)

DAVE_ID = 1_210_000_000_000_000_407
SERVER_NAME = "Handle Market"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the page can act as."""

    user_id: int
    username: str
    display_name: str
    role: str  # "admin", "moderator" or "member": what the page says of them


PEOPLE: tuple[Person, ...] = (
    Person(MODERATOR_ID, "mod_maria", "Maria", "moderator"),
    Person(OWNER_ID, "sam_admin", "Sam", "admin"),
    Person(ALICE_ID, "alice", "Alice", "member"),
    Person(BOB_ID, "bob", "Bob", "member"),
    Person(CAROL_ID, "carol", "Carol", "member"),
    Person(DAVE_ID, "dave", "Dave", "member"),
)
CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(AUCTIONS_CHANNEL_ID, "auctions"),
    ChannelSpec(AUDIT_CHANNEL_ID, "audit"),
    ChannelSpec(GENERAL_CHANNEL_ID, "general"),
)
ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(MODERATOR_ROLE_ID, "Moderator", str(MANAGE_GUILD), position=2),
    RoleSpec(BIDDER_ROLE_ID, "Bidder", "0", position=1),
)
_ROLE_IDS = {"moderator": (MODERATOR_ROLE_ID,), "member": (BIDDER_ROLE_ID,), "admin": ()}


def sandbox_world() -> list[GuildSpec]:
    """The one server of the sandbox; the owner is its admin."""
    return [
        GuildSpec(
            id=GUILD_ID,
            name=SERVER_NAME,
            owner_id=OWNER_ID,
            roles=ROLES,
            channels=CHANNELS,
            members=tuple(
                MemberSpec(p.user_id, p.username, _ROLE_IDS[p.role], global_name=p.display_name)
                for p in PEOPLE
            ),
        )
    ]


def person(user_id: int) -> Person | None:
    return next((p for p in PEOPLE if p.user_id == user_id), None)


# What the bot's config says of this server (the rest comes from the defaults or --config).
SANDBOX_KEYS: dict[str, dict[str, object]] = {
    "discord": {
        "token": "sandbox",  # the loopback Discord takes any token; no real one is read
        "guild_ids": [GUILD_ID],
        "auction_channel_id": AUCTIONS_CHANNEL_ID,
        "audit_channel_id": AUDIT_CHANNEL_ID,
        "post_edit_interval": "1s",
        # One process serves the sandbox's one server: an operator's shard split would leave
        # it to a process that is not running.
        "shard_count": 1,
        "shard_ids": [0],
    },
    "permissions": {"moderator_role_ids": [MODERATOR_ROLE_ID]},
}
# Short auctions are the point of a rehearsal; a file given with --config may say otherwise.
SANDBOX_DEFAULTS: dict[str, dict[str, object]] = {
    "auctions": {"min_duration": "10s"},
    "bidding": {"anti_snipe_window": "10s", "anti_snipe_extension": "15s"},
}
