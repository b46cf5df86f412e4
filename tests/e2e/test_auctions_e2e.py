"""Starting auctions: who may, and what the post looks like (issue section 3, scenario 1)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    BIDDER_ROLE_ID,
    BOB_ID,
    CAROL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MODERATOR_ID,
    OWNER_ID,
    DiscordEmulator,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    bid,
    button_id,
    buttons,
    channel_texts,
    embed,
    fields,
    info,
    is_closed_post,
    reply_text,
    respond,
    start_auction,
    timestamp,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]


def posted_handles(emulator: DiscordEmulator) -> list[str]:
    return [
        e.get("title", "")
        for m in emulator.channel_messages(AUCTIONS_CHANNEL_ID)
        for e in m.data["embeds"]
    ]


async def test_moderator_starts_an_auction_and_the_post_appears(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    before = time.time()
    reply = await start_auction(
        emulator, "@OGName", starting_bid=1_000, duration="2h", reserve=5_000, buy_now=9_000
    )
    assert "Auction for @OGName started" in reply, reply
    assert f"<#{AUCTIONS_CHANNEL_ID}>" in reply

    post = await auction_post(emulator, "@OGName")
    assert not post.ephemeral
    assert embed(post)["title"] == "@OGName is up for auction"
    shown = fields(post)
    assert shown["Platform"] == "X"
    assert shown["Current price"] == "no bids yet"
    assert shown["Leader"] == "nobody yet"
    assert shown["Minimum next bid"] == "1,000 credits"
    assert shown["Bids"] == "0"
    assert shown["Reserve"] == "not met yet"  # never the amount
    assert "5,000" not in str(post.data)
    assert shown["Buy now"] == "9,000 credits"
    ends = timestamp(shown["Ends"], "R")
    assert timestamp(shown["Ends"], "f") == ends  # relative and absolute
    assert before + 2 * 3600 - 5 <= ends <= time.time() + 2 * 3600 + 5
    assert timestamp(reply, "R") == ends

    labels = buttons(post)
    assert list(labels) == ["Bid 1,000", "Bid...", "Info"]
    assert not any(b.get("disabled") for b in labels.values())
    auction_id = button_id(post, ":info").split(":")[1]
    assert post.custom_ids() == [
        f"auction:{auction_id}:quick:1000",
        f"auction:{auction_id}:bid",
        f"auction:{auction_id}:info",
    ]
    # The post pings nobody.
    assert post.data["mentions"] == [] and not post.data["mention_everyone"]

    # "Info" answers privately with the details.
    details = await answered(emulator, emulator.click(CAROL_ID, post, button_id(post, ":info")))
    assert "@OGName is up for auction" in details
    assert "Increment: +5% (at least +10 credits)" in details

    # The moderator action is copied to the audit channel.
    audit = await emulator.wait_for(
        lambda: channel_texts(emulator, f"<@{MODERATOR_ID}> **start** @OGName", AUDIT_CHANNEL_ID)
    )
    assert "starting bid 1,000 credits, 2h" in audit[0].content
    assert audit[0].data["mentions"] == []  # names the moderator without pinging them


async def test_a_member_who_is_not_a_moderator_is_refused(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    for member in (CAROL_ID, ALICE_ID):  # no roles; the (unconfigured) Bidder role
        refusal = await start_auction(emulator, "@notyours", user_id=member)
        assert "Only moderators" in refusal, refusal

    # A moderator's auction started afterwards is posted; the refused one never is.
    await start_auction(emulator, "@afterwards")
    await auction_post(emulator, "@afterwards")
    await emulator.wait_for(lambda: emulator.channel_messages(AUDIT_CHANNEL_ID))
    assert not any("notyours" in title for title in posted_handles(emulator))
    assert not any("notyours" in m.content for m in emulator.channel_messages(AUDIT_CHANNEL_ID))
    assert "There is no auction for `@notyours`" in await answered(
        emulator, emulator.slash(CAROL_ID, "auction", {"handle": "notyours"}, "info")
    )


async def test_moderator_by_role_and_by_manage_server(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    # The configured moderator role here is "Bidder", which grants no permissions at all.
    await bots(moderator_role=BIDDER_ROLE_ID)
    assert not emulator.permissions(GUILD_ID, ALICE_ID) & MANAGE_GUILD
    assert emulator.permissions(GUILD_ID, OWNER_ID) & MANAGE_GUILD

    by_role = await start_auction(emulator, "@byrole", user_id=ALICE_ID)
    assert "started" in by_role, by_role
    by_permission = await start_auction(emulator, "@bypermission", user_id=OWNER_ID)
    assert "started" in by_permission, by_permission
    refused = await start_auction(emulator, "@byneither", user_id=CAROL_ID)
    assert "Only moderators" in refused, refused

    await auction_post(emulator, "@byrole")
    await auction_post(emulator, "@bypermission")
    await emulator.wait_for(lambda: len(emulator.channel_messages(AUDIT_CHANNEL_ID)) == 2)
    assert not any("byneither" in title for title in posted_handles(emulator))


async def test_auction_list_pages_survive_a_restart(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    for number in range(12):  # ten to a page
        await start_auction(emulator, f"@name{number:02d}", duration=f"{number + 1}h")
    listed = await respond(emulator, emulator.slash(CAROL_ID, "auction", subcommand="list"))
    await emulator.wait_for(lambda: reply_text(listed).strip())  # a slow answer is deferred
    shown = listed.original
    assert shown is not None and shown.ephemeral
    assert embed(shown)["footer"]["text"].startswith("Page 1 of 2")
    assert "@name00" in embed(shown)["description"]  # soonest ending first
    assert buttons(shown)["Previous"].get("disabled")

    forward = buttons(shown)["Next"]["custom_id"]
    turned = await respond(emulator, emulator.click(CAROL_ID, shown, forward))
    assert turned.callback is not None and turned.callback["type"] == 7  # the list is updated
    assert embed(shown)["footer"]["text"].startswith("Page 2 of 2")
    assert "@name11" in embed(shown)["description"]
    assert "@name00" not in embed(shown)["description"]

    # The same list's buttons still work after a restart.
    await bot.stop()
    await bot.start()
    back = buttons(shown)["Previous"]["custom_id"]
    await respond(emulator, emulator.click(CAROL_ID, shown, back))
    assert embed(shown)["footer"]["text"].startswith("Page 1 of 2")
    assert not buttons(shown)["Next"].get("disabled")


async def test_an_auction_keeps_the_currency_it_was_listed_in(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@oldmoney", starting_bid=100)
    old = await auction_post(emulator, "@oldmoney")
    changed = await answered(
        emulator,
        emulator.slash(OWNER_ID, "settings", {"key": "currency.name", "value": "gems"}, "set"),
    )
    assert changed == (
        "**currency.name** changed from `credits` to `gems`. "
        "Running auctions keep the terms they started with."
    ), changed

    # A new auction is listed in the new currency...
    await start_auction(emulator, "@newmoney", starting_bid=100)
    new = await auction_post(emulator, "@newmoney")
    assert fields(new)["Minimum next bid"] == "100 gems"
    await emulator.wait_for(
        lambda: channel_texts(emulator, f"<@{MODERATOR_ID}> **start** @newmoney", AUDIT_CHANNEL_ID)
    )
    assert (
        "starting bid 100 gems"
        in channel_texts(emulator, f"<@{MODERATOR_ID}> **start** @newmoney", AUDIT_CHANNEL_ID)[
            0
        ].content
    )

    # ...and the running one keeps showing credits everywhere.
    assert (
        await bid(emulator, ALICE_ID, "oldmoney", 150) == "You lead @oldmoney at **150 credits**."
    )
    assert await bid(emulator, BOB_ID, "oldmoney", 300) == "You lead @oldmoney at **300 credits**."
    [outbid] = await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 5)
    assert "the price is now 300 credits, and the minimum bid is 315 credits" in outbid.content
    await emulator.wait_for(lambda: fields(old)["Current price"] == "300 credits", 5)
    assert fields(old)["Minimum next bid"] == "315 credits"
    details = await info(emulator, "oldmoney")
    assert "Increment: +5% (at least +10 credits)" in details, details
    assert "gems" not in details, details
    listed = await answered(emulator, emulator.slash(CAROL_ID, "auction", subcommand="list"))
    assert "**@oldmoney**: 300 credits" in listed, listed
    assert "**@newmoney**: starts at 100 gems" in listed, listed

    ended = await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": "oldmoney"}, "end")
    )
    assert f"Sold to <@{BOB_ID}> for **300 credits**." in ended, ended
    [announced] = await emulator.wait_for(
        lambda: channel_texts(emulator, "**Auction closed: @oldmoney.**"), 5
    )
    assert announced.content.endswith(f"Sold to <@{BOB_ID}> for **300 credits**.")
    [won] = await emulator.wait_for(lambda: emulator.dm_messages(BOB_ID), 5)
    assert "at **300 credits**" in won.content, won.content
    await emulator.wait_for(lambda: is_closed_post(old), 5)
    assert fields(old)["Current price"] == "300 credits"
    for message in (old, outbid, announced, won):
        assert "gems" not in str(message.data), message.data
