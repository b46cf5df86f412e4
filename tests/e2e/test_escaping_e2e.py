"""Text from users is shown literally: no markdown, no live mentions, never a ping for
@everyone (scenario 7). Every test here also runs the module-wide check that no message
the bot sent could ping @everyone."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    EVERYONE_NAMED_ID,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    DiscordEmulator,
    StoredMessage,
)
from tests.e2e.conftest import (
    EVERYONE_PING,
    BotProcess,
    answered,
    auction_post,
    bid,
    channel_texts,
    embed,
    fields,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

PERMISSIVE = """
[handles.generic]
characters = "A-Za-z0-9_*@~|."
max_length = 32
"""
ZWSP = "\u200b"  # what discord.utils.escape_mentions puts after the @


def visible_text(message: StoredMessage) -> str:
    parts = [message.content]
    for e in message.data["embeds"]:
        parts += [e.get("title", ""), e.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in e.get("fields", [])]
    return "\n".join(parts)


def all_messages(emulator: DiscordEmulator) -> list[StoredMessage]:
    return list(emulator._messages.values())


async def test_markdown_in_an_x_handle_is_escaped(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    started = await start_auction(emulator, "@a_b_")
    assert r"Auction for @a\_b\_ started" in started, started
    post = await auction_post(emulator, r"@a\_b\_")
    assert embed(post)["title"] == r"@a\_b\_ is up for auction"
    placed = await bid(emulator, ALICE_ID, "a_b_", 100)
    assert placed.startswith(r"You lead @a\_b\_ at"), placed
    await answered(emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": "a_b_"}, "end"))
    announced = await emulator.wait_for(
        lambda: channel_texts(emulator, r"**Auction closed: @a\_b\_.**"), 20
    )
    assert f"Sold to <@{ALICE_ID}>" in announced[0].content
    won = await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 20)
    assert r"@a\_b\_" in won[0].content
    # Nowhere does the handle appear unescaped (it would render as italics).
    for message in all_messages(emulator):
        assert "a_b_" not in visible_text(message), message.data


async def test_mentions_and_markdown_in_handles_and_reasons_never_ping(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    await bots(platform="generic", extra=PERMISSIVE)

    # "@@everyone" is the handle "@everyone" (one leading @ is dropped, as for any handle).
    started = await start_auction(emulator, "@@everyone")
    assert f"@@{ZWSP}everyone" in started, started
    everyone = await auction_post(emulator, f"@@{ZWSP}everyone")
    assert embed(everyone)["title"] == f"@@{ZWSP}everyone is up for auction"
    assert fields(everyone)["Platform"] == "handle"

    await start_auction(emulator, "*bold*")
    bold = await auction_post(emulator, r"@\*bold\*")
    assert embed(bold)["title"] == r"@\*bold\* is up for auction"

    # The member whose username is literally "@everyone" bids, wins and is pinged alone.
    placed = await bid(emulator, EVERYONE_NAMED_ID, "*bold*", 100)
    assert placed.startswith(r"You lead @\*bold\* at"), placed
    await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": "*bold*"}, "end")
    )
    announced = await emulator.wait_for(
        lambda: channel_texts(emulator, r"**Auction closed: @\*bold\*.**"), 20
    )
    assert announced[0].content.endswith(f"Sold to <@{EVERYONE_NAMED_ID}> for **100 credits**.")
    assert [int(u["id"]) for u in announced[0].data["mentions"]] == [EVERYONE_NAMED_ID]
    await emulator.wait_for(lambda: emulator.dm_messages(EVERYONE_NAMED_ID), 20)

    # A moderator's reason full of mentions is shown, not obeyed.
    reason = f"@everyone @here <@&{MODERATOR_ROLE_ID}> **now**"
    cancelled = await answered(
        emulator,
        emulator.slash(
            MODERATOR_ID, "auctioneer", {"handle": "@@everyone", "reason": reason}, "cancel"
        ),
    )
    assert f"@@{ZWSP}everyone" in cancelled, cancelled
    notice = await emulator.wait_for(
        lambda: channel_texts(emulator, f"**Auction cancelled: @@{ZWSP}everyone.**"), 20
    )
    assert notice[0].content.endswith(
        f"Reason: @{ZWSP}everyone @{ZWSP}here <@{ZWSP}&{MODERATOR_ROLE_ID}> \\*\\*now\\*\\*"
    ), notice[0].content
    assert notice[0].data["mention_roles"] == [] and notice[0].data["mentions"] == []
    audit = await emulator.wait_for(
        lambda: [m for m in all_messages(emulator) if "**cancel**" in m.content], 20
    )
    assert f"(reason: @{ZWSP}everyone @{ZWSP}here" in audit[0].content

    # Nothing the bot showed anyone reads as a live @everyone/@here or role mention.
    for message in all_messages(emulator):
        text = visible_text(message)
        assert not EVERYONE_PING.search(text), text
        assert not re.search(r"<@&\d+>", text), text
        assert not message.data["mention_everyone"] and message.data["mention_roles"] == []


@pytest.mark.parametrize("platform", ["x", "generic"])
async def test_everyone_and_here_are_never_auctioned(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]], platform: str
) -> None:
    # Even where the allowed characters would let them through.
    await bots(platform=platform, extra=PERMISSIVE if platform == "generic" else "")
    for typed, shown in [("everyone", "everyone"), ("@here", "here"), ("@EveryOne", "EveryOne")]:
        refused = await start_auction(emulator, typed)
        assert refused == (
            f"`@{shown}` can't be auctioned: Discord reads it as a mention of everyone."
        ), refused
    listed = await answered(emulator, emulator.slash(ALICE_ID, "auction", subcommand="list"))
    assert "No auctions are open right now." in listed, listed
    assert emulator.channel_messages(AUCTIONS_CHANNEL_ID) == []
    assert emulator.channel_messages(AUDIT_CHANNEL_ID) == []
