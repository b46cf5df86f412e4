"""Closing: results announced once, pinging only the winner; cancellations; the audit
channel; and a Discord outage or a refused post edit at the worst moment (scenarios 6, 12)."""

from __future__ import annotations

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    CHANNEL,
    GENERAL_CHANNEL_ID,
    MODERATOR_ID,
    USER,
    DiscordEmulator,
    Opt,
    RecordedRequest,
    StoredMessage,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    bid,
    button_id,
    channel_texts,
    embed,
    fields,
    info,
    is_closed_post,
    on_both_stores,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

CHANNEL_POSTS = rf"/channels/{AUCTIONS_CHANNEL_ID}/messages"


def sends(emulator: DiscordEmulator, prefix: str) -> list[RecordedRequest]:
    """Every attempt to post a channel message starting with ``prefix`` (failed ones too)."""
    return [
        r
        for r in emulator.requests("POST", CHANNEL_POSTS + "$")
        if str((r.json or {}).get("content", "")).startswith(prefix)
    ]


async def end_now(emulator: DiscordEmulator, handle: str) -> None:
    ended = await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": handle}, "end")
    )
    assert "ended" in ended, ended


@on_both_stores
async def test_closes_on_time_and_announces_the_winner_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # The bids go in right away, before the post is looked for: the auction lasts 3 s.
    await start_auction(emulator, "@ontime", starting_bid=100, duration="3s")
    await bid(emulator, ALICE_ID, "ontime", 100)
    await bid(emulator, BOB_ID, "ontime", 150)
    post = await auction_post(emulator, "@ontime")

    prefix = "**Auction closed: @ontime.**"
    announced = await emulator.wait_for(lambda: channel_texts(emulator, prefix), 20)
    assert announced[0].content == f"{prefix} Sold to <@{BOB_ID}> for **150 credits**."
    # Pings the winner and nobody else.
    [request] = sends(emulator, prefix)
    allowed = request.json["allowed_mentions"]
    assert allowed["parse"] == []
    assert [str(u) for u in allowed["users"]] == [str(BOB_ID)]
    assert [int(u["id"]) for u in announced[0].data["mentions"]] == [BOB_ID]
    assert announced[0].data["mention_roles"] == [] and not announced[0].data["mention_everyone"]

    won = await emulator.wait_for(lambda: emulator.dm_messages(BOB_ID), 20)
    assert won[0].content.startswith(
        "You won the auction for @ontime on Handle Market at **150 credits**."
    )
    await emulator.wait_for(lambda: is_closed_post(post), 20)
    assert embed(post)["description"] == f"Sold to <@{BOB_ID}> for **150 credits**."
    assert "Minimum next bid" not in fields(post)
    # The loser got the outbid DM and nothing else.
    assert [m.content.startswith("You've been outbid") for m in emulator.dm_messages(ALICE_ID)] == [
        True
    ]

    # Exactly once: a later message in the outbox is out, and still one announcement, one DM.
    await start_auction(emulator, "@later")
    await auction_post(emulator, "@later")
    assert len(channel_texts(emulator, prefix)) == 1
    assert len(sends(emulator, prefix)) == 1
    assert len(emulator.dm_messages(BOB_ID)) == 1


async def test_no_bids_and_reserve_not_met(emulator: DiscordEmulator, bot: BotProcess) -> None:
    await start_auction(emulator, "@quiet", duration="3s")
    await start_auction(emulator, "@toodear", duration="3s", reserve=500)
    # The bid goes in before the posts are looked for: right after a start the second post
    # waits behind the first audit copy (about 2 s), and the auction lasts 3 s.
    placed = await bid(emulator, ALICE_ID, "toodear", 100)
    assert "You lead @toodear" in placed, placed
    quiet, toodear = (
        await auction_post(emulator, "@quiet"),
        await auction_post(emulator, "@toodear"),
    )
    assert fields(toodear)["Reserve"] == "not met yet"  # never the amount

    no_bids = await emulator.wait_for(
        lambda: channel_texts(emulator, "**Auction closed: @quiet.**"), 20
    )
    assert no_bids[0].content == "**Auction closed: @quiet.** Ended with no bids."
    not_met = await emulator.wait_for(
        lambda: channel_texts(emulator, "**Auction closed: @toodear.**"), 20
    )
    assert not_met[0].content == (
        "**Auction closed: @toodear.** Reserve not met: no sale (highest bid 100 credits)."
    )
    assert "500" not in not_met[0].content  # the reserve stays secret
    for message in (*no_bids, *not_met):
        assert message.data["mentions"] == []
    await emulator.wait_for(lambda: is_closed_post(quiet) and is_closed_post(toodear), 20)
    assert embed(quiet)["description"] == "Ended with no bids."
    assert embed(toodear)["description"].startswith("Reserve not met")

    # Nobody won: no winner DM (Alice only ever led).
    await start_auction(emulator, "@later")
    await auction_post(emulator, "@later")
    assert emulator.dm_messages(ALICE_ID) == []
    assert len(channel_texts(emulator, "**Auction closed:")) == 2


async def test_cancellation_and_moderator_actions_are_announced_and_audited(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@pulled")
    pulled = await auction_post(emulator, "@pulled")
    await bid(emulator, ALICE_ID, "pulled", 100)
    await bid(emulator, BOB_ID, "pulled", 200)

    moderator = MODERATOR_ID
    extended = await answered(
        emulator,
        emulator.slash(moderator, "auctioneer", {"handle": "pulled", "duration": "30m"}, "extend"),
    )
    assert "extended by 30m" in extended, extended
    voided = await answered(
        emulator,
        emulator.slash(
            moderator,
            "auctioneer",
            {"handle": "pulled", "bidder": Opt(USER, BOB_ID), "reason": "shill bidding"},
            "void-bid",
        ),
    )
    assert "Voided 1 bid(s)" in voided, voided
    cancelled = await answered(
        emulator,
        emulator.slash(
            moderator,
            "auctioneer",
            {"handle": "pulled", "reason": "The owner withdrew it"},
            "cancel",
        ),
    )
    assert "cancelled" in cancelled, cancelled

    announced = await emulator.wait_for(
        lambda: channel_texts(emulator, "**Auction cancelled: @pulled.**"), 20
    )
    assert announced[0].content == ("**Auction cancelled: @pulled.** Reason: The owner withdrew it")
    await emulator.wait_for(lambda: is_closed_post(pulled), 20)
    assert embed(pulled)["description"] == "Cancelled by a moderator: no sale."
    late = await answered(emulator, emulator.click(CAROL_ID, pulled, button_id(pulled, "quick")))
    assert "was cancelled" in late, late

    # A sold handle, ended early, then released.
    await start_auction(emulator, "@early")
    await bid(emulator, CAROL_ID, "early", 100)
    ended = await answered(
        emulator, emulator.slash(moderator, "auctioneer", {"handle": "early"}, "end")
    )
    assert f"Sold to <@{CAROL_ID}>" in ended, ended
    again = await answered(
        emulator,
        emulator.slash(
            moderator,
            "auctioneer",
            {"handle": "early", "starting_bid": 10, "duration": "1h"},
            "start",
        ),
    )
    assert "was sold" in again, again
    released = await answered(
        emulator,
        emulator.slash(
            moderator, "auctioneer", {"handle": "early", "reason": "buyer backed out"}, "release"
        ),
    )
    assert "can be auctioned again" in released, released

    expected = [
        "**start** @pulled",
        "**extend** @pulled: +30m",
        f"**void** @pulled: voided 1 bid(s) by member {BOB_ID} (reason: shill bidding)",
        "**cancel** @pulled",
        "**start** @early",
        "**end** @early",
        "**release** @early",
    ]

    def audit_lines() -> list[str]:
        return [m.content for m in emulator.channel_messages(AUDIT_CHANNEL_ID)]

    await emulator.wait_for(lambda: len(audit_lines()) >= len(expected), 20)
    lines = audit_lines()
    assert len(lines) == len(expected), lines
    for line, action in zip(lines, expected, strict=True):
        assert line.startswith(f"<@{moderator}> {action}"), (line, action)
    assert "(reason: The owner withdrew it)" in lines[3]
    assert all(m.data["mentions"] == [] for m in emulator.channel_messages(AUDIT_CHANNEL_ID))


async def test_an_outage_at_close_time_delays_the_result_but_never_loses_or_doubles_it(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@outage")
    post = await auction_post(emulator, "@outage")
    await bid(emulator, ALICE_ID, "outage", 100)
    # Discord is down when the result goes out: the next two posts in the channel fail with
    # 503 (which discord.py does not retry itself), so the outbox has to.
    emulator.fail_next("POST", CHANNEL_POSTS, times=2, status=503)
    await end_now(emulator, "outage")

    prefix = "**Auction closed: @outage.**"
    announced = await emulator.wait_for(lambda: channel_texts(emulator, prefix), 30)
    attempts = sends(emulator, prefix)
    assert [r.status for r in attempts] == [503, 503, 200]
    assert announced[0].content == f"{prefix} Sold to <@{ALICE_ID}> for **100 credits**."
    await emulator.wait_for(lambda: is_closed_post(post), 20)
    await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 20)  # the winner's DM

    await start_auction(emulator, "@later")
    await auction_post(emulator, "@later")
    assert len(channel_texts(emulator, prefix)) == 1
    assert len(emulator.dm_messages(ALICE_ID)) == 1


@on_both_stores
async def test_crash_during_an_outage_still_announces_once(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@crashy")
    await auction_post(emulator, "@crashy")
    await bid(emulator, ALICE_ID, "crashy", 100)
    emulator.fail_next("POST", CHANNEL_POSTS, times=2, status=503)
    await end_now(emulator, "crashy")
    prefix = "**Auction closed: @crashy.**"
    await emulator.wait_for(lambda: sends(emulator, prefix), 20)  # the first attempt failed
    await bot.kill()
    assert channel_texts(emulator, prefix) == []

    await bot.start()
    announced = await emulator.wait_for(lambda: channel_texts(emulator, prefix), 30)
    assert announced[0].content == f"{prefix} Sold to <@{ALICE_ID}> for **100 credits**."
    await start_auction(emulator, "@later")
    await auction_post(emulator, "@later")
    assert len(channel_texts(emulator, prefix)) == 1
    assert [r.status for r in sends(emulator, prefix)] == [503, 503, 200]


@pytest.mark.parametrize("refusal", ["deleted", "30046"])
async def test_a_post_discord_will_not_edit_is_posted_again(
    emulator: DiscordEmulator, bot: BotProcess, refusal: str
) -> None:
    await start_auction(emulator, "@phoenix", starting_bid=100)
    old = await auction_post(emulator, "@phoenix")
    await bid(emulator, ALICE_ID, "phoenix", 100)
    # The post is current (no edit of it is under way) before Discord stops taking edits.
    await emulator.wait_for(lambda: fields(old)["Current price"] == "100 credits", 5)
    if refusal == "deleted":
        emulator.delete_message(old.id)
    else:
        emulator.fail_next("PATCH", rf"{CHANNEL_POSTS}/{old.id}", status=400, code=30046)

    await bid(emulator, BOB_ID, "phoenix", 110)

    def fresh_copy() -> list[StoredMessage]:
        return [
            m
            for m in emulator.channel_messages(AUCTIONS_CHANNEL_ID)
            if m.id != old.id and m.data["embeds"]
        ]

    [new] = await emulator.wait_for(fresh_copy, 20)
    assert embed(new)["title"] == "@phoenix is up for auction"
    assert fields(new)["Current price"] == "110 credits"
    assert fields(new)["Leader"] == f"<@{BOB_ID}>"
    edits_of_old = len(emulator.requests("PATCH", rf"{CHANNEL_POSTS}/{old.id}$"))

    # Later changes edit the fresh copy, whose buttons work.
    placed = await answered(emulator, emulator.click(CAROL_ID, new, button_id(new, "quick")))
    assert "You lead @phoenix at **120 credits**" in placed, placed
    await emulator.wait_for(lambda: fields(new)["Current price"] == "120 credits", 20)
    assert len(emulator.requests("PATCH", rf"{CHANNEL_POSTS}/{old.id}$")) == edits_of_old
    assert len(fresh_copy()) == 1


@pytest.mark.parametrize("lost_at", ["edit", "post"])
async def test_a_deleted_channel_loses_the_post_once_and_the_auction_goes_on(
    emulator: DiscordEmulator, bot: BotProcess, lost_at: str
) -> None:
    in_general = rf"/channels/{GENERAL_CHANNEL_ID}(/|$)"
    if lost_at == "post":
        # The channel is deleted while the post is on its way: Discord refuses the first
        # send (503) and the channel is gone by the time the bot tries again.
        def delete_on_refusal(request: RecordedRequest) -> None:
            if request.method == "POST" and request.status == 503:
                emulator.request_hooks.remove(delete_on_refusal)
                emulator.forget_channel(GENERAL_CHANNEL_ID)

        emulator.request_hooks.append(delete_on_refusal)
        emulator.fail_next("POST", rf"/channels/{GENERAL_CHANNEL_ID}/messages", status=503)
    started = await start_auction(
        emulator, "@orphan", starting_bid=100, channel=Opt(CHANNEL, GENERAL_CHANNEL_ID)
    )
    assert f"<#{GENERAL_CHANNEL_ID}>" in started, started
    if lost_at == "edit":
        await auction_post(emulator, "@orphan", GENERAL_CHANNEL_ID)
    await emulator.delete_channel(GENERAL_CHANNEL_ID)  # (again, for the gateway)
    await bid(emulator, ALICE_ID, "orphan", 100)

    # The audit channel is told once; the auction itself goes on.
    prefix = "**Auction bot:** The post of the auction for @orphan can no longer be shown"
    [notice] = await emulator.wait_for(
        lambda: channel_texts(emulator, prefix, AUDIT_CHANNEL_ID), 10
    )
    assert "(its channel was deleted); the auction itself goes on." in notice.content
    refused = [r for r in emulator.requests(path=in_general) if r.status >= 400]
    assert [(r.method, r.code) for r in refused if r.code == 10003] == [
        ("PATCH" if lost_at == "edit" else "POST", 10003)
    ], refused
    tried = len(emulator.requests(path=in_general))

    # Later bids and the close never try the post (nor a result announcement) again.
    assert "You lead" in await bid(emulator, BOB_ID, "orphan", 200)
    [outbid] = await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 5)
    assert outbid.content.startswith("You've been outbid on @orphan"), outbid.content
    assert "discord.com/channels" not in outbid.content  # no link to a post that is gone
    await end_now(emulator, "orphan")
    won = await emulator.wait_for(lambda: emulator.dm_messages(BOB_ID), 10)
    assert "You won the auction for @orphan" in won[0].content, won[0].content
    await emulator.wait_for(
        lambda: channel_texts(emulator, f"<@{MODERATOR_ID}> **end** @orphan", AUDIT_CHANNEL_ID), 5
    )
    await start_auction(emulator, "@later")  # the outbox has moved past the orphan's messages
    await auction_post(emulator, "@later")
    assert len(emulator.requests(path=in_general)) == tried
    assert len(channel_texts(emulator, prefix, AUDIT_CHANNEL_ID)) == 1
    assert not channel_texts(emulator, "**Auction closed: @orphan")
    assert "Bids: 2" in await info(emulator, "orphan")


@on_both_stores
async def test_a_crash_just_after_the_result_went_out_does_not_double_it(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    prefix = "**Auction closed: @doubled.**"

    def kill_when_announced(request: RecordedRequest) -> None:
        # Discord has taken the announcement; the bot dies before it hears so, so it has not
        # marked the outbox message delivered and sends it again after the restart.
        if request.status == 200 and str((request.json or {}).get("content")).startswith(prefix):
            emulator.request_hooks.remove(kill_when_announced)
            bot.kill_now()

    # In place before the auction starts: it lasts 3 s, however slow the steps below are.
    emulator.request_hooks.append(kill_when_announced)
    await start_auction(emulator, "@doubled", duration="3s")
    await bid(emulator, ALICE_ID, "doubled", 100)  # before looking for the post: 3 s only
    await auction_post(emulator, "@doubled")
    await emulator.wait_for(lambda: sends(emulator, prefix), 20)
    await bot.kill()
    assert len(channel_texts(emulator, prefix)) == 1

    await bot.start()
    await emulator.wait_for(lambda: len(sends(emulator, prefix)) == 2, 20)  # sent again...
    await emulator.wait_for(lambda: emulator.dm_messages(ALICE_ID), 20)
    assert len(channel_texts(emulator, prefix)) == 1  # ...and Discord dropped the repeat
    assert len(emulator.dm_messages(ALICE_ID)) == 1
