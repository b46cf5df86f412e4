"""Bidding: the three ways to bid, refusals, proxy bids and outbid DMs, anti-sniping and
buy-now (issue section 3, scenarios 2-5)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import (
    ALICE_ID,
    BOB_ID,
    CAROL_ID,
    MODERATOR_ID,
    OWNER_ID,
    DiscordEmulator,
    StoredMessage,
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
    on_both_stores,
    respond,
    start_auction,
    timestamp,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]


async def shows(
    emulator: DiscordEmulator, post: StoredMessage, name: str, value: str
) -> StoredMessage:
    """Wait until the post's field ``name`` reads ``value``."""
    await emulator.wait_for(lambda: fields(post).get(name) == value, 20)
    return post


@on_both_stores
async def test_bid_by_slash_command_quick_button_and_dialog(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@tripleplay", starting_bid=100)
    post = await auction_post(emulator, "@tripleplay")

    by_command = await bid(emulator, ALICE_ID, "tripleplay", 100)
    assert by_command == "You lead @tripleplay at **100 credits**.", by_command
    # The post follows: the quick-bid button now offers the next minimum (100 + 10).
    await shows(emulator, post, "Current price", "100 credits")
    assert fields(post)["Leader"] == f"<@{ALICE_ID}>"
    assert fields(post)["Minimum next bid"] == "110 credits"
    assert "Bid 110" in buttons(post)

    by_button = await answered(emulator, emulator.click(BOB_ID, post, button_id(post, "quick")))
    assert by_button == "You lead @tripleplay at **110 credits**.", by_button
    await shows(emulator, post, "Current price", "110 credits")
    assert "Bid 120" in buttons(post)

    # "Bid..." opens a dialog asking for an amount and an optional secret maximum.
    opened = await respond(emulator, emulator.click(CAROL_ID, post, button_id(post, ":bid")))
    assert opened.callback is not None and opened.callback["type"] == 9  # a modal
    modal = opened.callback["data"]
    inputs = {
        c["custom_id"]: c for row in modal["components"] for c in row["components"]
    }  # fmt: skip
    assert inputs["amount"]["required"] and not inputs["maximum"]["required"]
    assert inputs["amount"]["placeholder"] == "at least 120"
    by_dialog = await answered(
        emulator,
        emulator.modal_submit(
            CAROL_ID, modal["custom_id"], {"amount": "150", "maximum": "400"}, post
        ),
    )
    assert by_dialog == (
        "You lead @tripleplay at **150 credits**; your maximum (400 credits) stays secret."
    ), by_dialog

    await shows(emulator, post, "Current price", "150 credits")
    assert fields(post)["Leader"] == f"<@{CAROL_ID}>"
    assert fields(post)["Bids"] == "3"
    assert fields(post)["Minimum next bid"] == "160 credits"
    # The maximum stays secret: nowhere in what the post shows (ids and timestamps aside).
    shown = (
        [post.content]
        + [
            str(value)
            for embed_data in post.data.get("embeds", [])
            for value in (
                embed_data.get("title"),
                embed_data.get("description"),
                (embed_data.get("footer") or {}).get("text"),
                *(f"{f['name']} {f['value']}" for f in embed_data.get("fields", [])),
            )
            if value
        ]
        + [label for label in buttons(post)]
    )
    visible = re.sub(r"<t:\d+:\w>|<@!?&?\d+>", "", " ".join(shown))
    assert "400" not in visible, visible


async def test_refused_bids_are_explained_and_change_nothing(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@steady", starting_bid=100)
    post = await auction_post(emulator, "@steady")
    await bid(emulator, ALICE_ID, "steady", 200)
    await shows(emulator, post, "Current price", "200 credits")
    await start_auction(emulator, "@gone", starting_bid=100)
    gone = await auction_post(emulator, "@gone")
    ended = await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": "gone"}, "end")
    )
    assert "Ended with no bids" in ended, ended
    await emulator.wait_for(lambda: is_closed_post(gone), 20)

    state_before = await info(emulator, "steady")
    post_before, edits_before = embed(post), post.edit_count
    dms_before = {m: len(emulator.dm_messages(m)) for m in (ALICE_ID, BOB_ID)}

    too_low = await bid(emulator, BOB_ID, "steady", 205)
    assert "The minimum bid is 210" in too_low, too_low
    negative = await bid(emulator, BOB_ID, "steady", -5)
    assert "between 1 and 1,000,000 credits" in negative and "-5" in negative, negative
    too_high = await bid(emulator, BOB_ID, "steady", 2_000_000)
    assert "between 1 and 1,000,000 credits" in too_high, too_high
    bad_maximum = await bid(emulator, BOB_ID, "steady", 300, maximum=250)
    assert "must be at least your bid" in bad_maximum, bad_maximum
    unknown = await bid(emulator, BOB_ID, "nosuchhandle", 500)
    assert "There is no auction for `@nosuchhandle`" in unknown, unknown
    closed = await bid(emulator, BOB_ID, "gone", 500)
    assert "The auction for @gone has closed" in closed, closed
    closed_button = await answered(emulator, emulator.click(BOB_ID, gone, button_id(gone, "quick")))
    assert "has closed" in closed_button, closed_button

    # The same refusals through the dialog, where amounts are typed as text.
    dialog = f"auction:{button_id(post, ':bid').split(':')[1]}:modal"
    for typed, expected in (
        ("-5", "1,000,000"),
        ("lots", "is not a whole number"),
        ("1,000,001", "between 1 and 1,000,000 credits"),
        ("205", "The minimum bid is 210"),
    ):
        opened = await respond(emulator, emulator.click(BOB_ID, post, button_id(post, ":bid")))
        assert opened.callback is not None and opened.callback["type"] == 9
        refused = await answered(
            emulator, emulator.modal_submit(BOB_ID, dialog, {"amount": typed, "maximum": ""}, post)
        )
        assert expected in refused, (typed, refused)

    # A quick-bid button drawn before the last bid says so and states the minimum.
    stale = post.history[0]  # the post as first drawn: "Bid 100"
    stale_click = await answered(
        emulator, emulator.click(BOB_ID, stale, f"auction:{dialog.split(':')[1]}:quick:100")
    )
    assert "the minimum bid is now 210 credits" in stale_click, stale_click

    # Nothing changed: the state, the post and nobody's DMs.
    assert await info(emulator, "steady") == state_before
    # A real change after every refusal, on another auction: once its post edit (at least an
    # edit interval later) and its outbid DM (the outbox goes in order) are out, an edit or a
    # DM that a refusal had caused would be out too.
    await start_auction(emulator, "@probe", starting_bid=100)
    probe = await auction_post(emulator, "@probe")
    await bid(emulator, CAROL_ID, "probe", 100)
    await bid(emulator, OWNER_ID, "probe", 200)
    await shows(emulator, probe, "Current price", "200 credits")
    await emulator.wait_for(lambda: emulator.dm_messages(CAROL_ID), 20)
    assert embed(post) == post_before and post.edit_count == edits_before
    assert {m: len(emulator.dm_messages(m)) for m in (ALICE_ID, BOB_ID)} == dms_before


@on_both_stores
async def test_proxy_bidding_and_outbid_dms(emulator: DiscordEmulator, bot: BotProcess) -> None:
    await start_auction(emulator, "@proxyname", starting_bid=100)
    post = await auction_post(emulator, "@proxyname")

    a = await bid(emulator, ALICE_ID, "proxyname", 100, maximum=500)
    assert a == "You lead @proxyname at **100 credits**; your maximum (500 credits) stays secret."

    # B bids below A's maximum: accepted, but A's automatic bid answers at once.
    b = await bid(emulator, BOB_ID, "proxyname", 200)
    assert "leader's automatic bid answered at once: the price is now 210 credits" in b, b
    assert "The minimum bid is 221 credits" in b
    assert "500" not in re.sub(r"<t:\d+:\w>", "", b)  # A's maximum is never shown to B
    await shows(emulator, post, "Current price", "210 credits")
    assert fields(post)["Leader"] == f"<@{ALICE_ID}>"

    # B goes above A's maximum and leads; the price is just enough to beat it.
    b = await bid(emulator, BOB_ID, "proxyname", 300, maximum=700)
    assert b == "You lead @proxyname at **525 credits**; your maximum (700 credits) stays secret."
    await shows(emulator, post, "Current price", "525 credits")
    assert fields(post)["Leader"] == f"<@{BOB_ID}>"

    dms = await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 20)
    assert len(dms) == 1
    assert "You've been outbid on @proxyname: the price is now 525 credits" in dms[0].content
    assert f"/{post.channel_id}/{post.id}" in dms[0].content  # a link to the post
    # Bob's maximum is nowhere in the text (timestamps and the link hold digits of their own).
    words = re.sub(r"<t:\d+:\w>|https://\S+", "", dms[0].content)
    assert "700" not in words, dms[0].content

    # Maximums stay secret from everyone else: the post, and /auction info for others.
    seen_by_carol = await info(emulator, "proxyname", CAROL_ID)
    for secret in ("500 credits", "700 credits", "secret maximum"):
        assert secret not in seen_by_carol and secret not in str(post.data), secret
    seen_by_alice = await info(emulator, "proxyname", ALICE_ID)
    assert "500 credits" not in seen_by_alice and "700 credits" not in seen_by_alice
    seen_by_bob = await info(emulator, "proxyname", BOB_ID)
    assert "Your secret maximum: 700 credits" in seen_by_bob

    # A turns the DMs off; B (alerts on) still gets one.
    off = await answered(emulator, emulator.slash(ALICE_ID, "outbid-alerts", {"enabled": False}))
    assert "Outbid DMs are now off" in off, off
    await bid(emulator, ALICE_ID, "proxyname", 800)
    await emulator.wait_for(lambda: emulator.dm_messages(BOB_ID), 20)
    await bid(emulator, BOB_ID, "proxyname", 900)  # A is outbid: no DM, they turned them off
    await bid(emulator, CAROL_ID, "proxyname", 1_000)  # B is outbid: a DM
    # Outbox messages go out in order, so once B's second DM is there, A's would be too.
    await emulator.wait_for(lambda: len(emulator.dm_messages(BOB_ID)) == 2, 20)
    assert len(emulator.dm_messages(ALICE_ID)) == 1
    assert "1,000 credits" in emulator.dm_messages(BOB_ID)[1].content


async def test_anti_sniping_moves_the_end(
    emulator: DiscordEmulator, bots: Callable[..., Awaitable[BotProcess]]
) -> None:
    # A bid in the last 2 s moves the end to 4 s after it: in a 2 s auction, any bid does.
    await bots(snipe_window="2s", snipe_extension="4s")
    started = await start_auction(emulator, "@lastsecond", starting_bid=100, duration="2s")
    original_end = time.time() + 2  # at the latest
    first_end = timestamp(started)

    # The bid goes in right away (the auction lasts 2 s); the post is looked at after.
    sniped = await bid(emulator, ALICE_ID, "lastsecond", 100)
    assert "Anti-sniping moved the end to <t:" in sniped, sniped
    post = await auction_post(emulator, "@lastsecond")
    new_end = timestamp(sniped)
    assert new_end >= first_end + 2
    await emulator.wait_for(lambda: timestamp(fields(post).get("Ends", "<t:0:R>")) == new_end, 20)

    # Still open after the original end (the bid came before it, so the new end is at
    # least 2 s later); it closes at the new end, not before.
    while time.time() < original_end + 0.5:
        await asyncio.sleep(0.1)
    assert "Minimum next bid" in await info(emulator, "lastsecond")
    closed = await emulator.wait_for(
        lambda: channel_texts(emulator, "**Auction closed: @lastsecond.**"), 20
    )
    assert time.time() >= new_end
    assert f"Sold to <@{ALICE_ID}> for **100 credits**" in closed[0].content


async def test_buy_now_closes_at_once(emulator: DiscordEmulator, bot: BotProcess) -> None:
    await start_auction(emulator, "@instant", starting_bid=100, buy_now=500)
    post = await auction_post(emulator, "@instant")
    await bid(emulator, ALICE_ID, "instant", 150)

    bought = await bid(emulator, BOB_ID, "instant", 500)
    assert bought == "You bought @instant now for **500 credits**. Congratulations!", bought

    announced = await emulator.wait_for(
        lambda: channel_texts(emulator, "**Auction closed: @instant.**"), 20
    )
    assert f"Sold to <@{BOB_ID}> for **500 credits**" in announced[0].content
    await emulator.wait_for(lambda: is_closed_post(post), 20)
    assert f"Sold to <@{BOB_ID}>" in embed(post)["description"]
    assert not buttons(post)["Info"].get("disabled")
    won = await emulator.wait_for(lambda: emulator.dm_messages(BOB_ID), 20)
    assert "You won the auction for @instant" in won[0].content

    late = await bid(emulator, CAROL_ID, "instant", 900)
    assert "The auction for @instant has closed" in late, late


async def test_bid_dialogs_open_at_once_and_across_a_restart(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@popular", starting_bid=100)
    post = await auction_post(emulator, "@popular")

    async def open_dialog(member: int) -> str:
        opened = await respond(emulator, emulator.click(member, post, button_id(post, ":bid")))
        assert opened.callback is not None and opened.callback["type"] == 9
        return str(opened.callback["data"]["custom_id"])

    async def submit(member: int, dialog: str, amount: str) -> str:
        return await answered(
            emulator, emulator.modal_submit(member, dialog, {"amount": amount, "maximum": ""}, post)
        )

    # Two members have the dialog open at the same time; each submission is their own.
    alices, bobs = await open_dialog(ALICE_ID), await open_dialog(BOB_ID)
    assert await submit(ALICE_ID, alices, "150") == "You lead @popular at **150 credits**."
    assert await submit(BOB_ID, bobs, "300") == "You lead @popular at **300 credits**."

    # A dialog left open while the bot restarts still places the bid when submitted.
    carols = await open_dialog(CAROL_ID)
    await bot.stop()
    await bot.start()
    assert await submit(CAROL_ID, carols, "400") == "You lead @popular at **400 credits**."
    assert "Bids: 3" in await info(emulator, "popular")
