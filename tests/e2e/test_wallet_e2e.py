"""Wallet mode through the real bot: a moderator credits members, ``/wallet`` shows the
credits and where they are held, a leading bid holds, an outbid releases, a bid beyond the
available credits is refused by command, a post's quick button and its dialog, the close
captures the price, and the moderators' commands refuse non-moderators and bad options."""

from __future__ import annotations

import pytest

from bot.sandbox import (
    ALICE_ID,
    AUDIT_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    MODERATOR_ID,
    OWNER_ID,
    USER,
    DiscordEmulator,
    Opt,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    bid,
    button_id,
    buttons,
    on_both_stores,
    reply_text,
    respond,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]


async def credit(
    emulator: DiscordEmulator, member: int, amount: int, reason: str = "welcome",
    *, by: int = MODERATOR_ID, verb: str = "credit",
) -> str:  # fmt: skip
    options = {"member": Opt(USER, member), "amount": amount, "reason": reason}
    return await answered(emulator, emulator.slash(by, "auctioneer", options, verb))


async def wallet(emulator: DiscordEmulator, member: int, show: str | None = None) -> str:
    options = {"show": show} if show else None
    return await answered(emulator, emulator.slash(member, "wallet", options))


def audit_texts(emulator: DiscordEmulator) -> list[str]:
    return [m.content for m in emulator.channel_messages(AUDIT_CHANNEL_ID)]


@on_both_stores
async def test_credits_holds_refusals_and_the_capture(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # Before the server uses wallets, a member with nothing is told so plainly.
    before = await wallet(emulator, ALICE_ID)
    assert "doesn't pay for auctions from wallets" in before, before
    assert "money mode is none" in before, before
    switched = await answered(
        emulator,
        emulator.slash(OWNER_ID, "settings", {"key": "money.mode", "value": "wallet"}, "set"),
    )
    assert "wallet" in switched, switched

    # Only moderators credit, with a good amount, a reason, and never a bot.
    refused = await credit(emulator, ALICE_ID, 1_000, by=ALICE_ID)
    assert "Only moderators" in refused, refused
    too_much = await credit(emulator, ALICE_ID, 2_000_000)
    assert "between 1 and 1,000,000 credits" in too_much, too_much
    robot = await credit(emulator, emulator.bot_user_id, 100)
    assert "Bots have no wallet" in robot, robot
    empty = await credit(emulator, ALICE_ID, 100, reason="   ")
    assert "give a reason" in empty, empty

    done = await credit(emulator, ALICE_ID, 1_000, "season prize")
    assert done == (
        f"Credited 1,000 credits to <@{ALICE_ID}>: they now have 1,000 credits available."
    ), done
    await emulator.wait_for(
        lambda: any("**credit**" in t and "season prize" in t for t in audit_texts(emulator)), 20
    )
    await credit(emulator, BOB_ID, 2_000)
    await credit(emulator, CAROL_ID, 100)
    shown = await wallet(emulator, ALICE_ID)
    assert "**Available:** 1,000 credits" in shown, shown
    assert "+1,000 credits** credited (season prize)" in shown, shown

    # A leading bid holds its secret maximum, and /wallet says where.
    await start_auction(emulator, "@purse", starting_bid=100)
    post = await auction_post(emulator, "@purse")
    assert (await bid(emulator, ALICE_ID, "purse", 100, 600)).startswith("You lead @purse")
    held = await wallet(emulator, ALICE_ID)
    assert "**Held:** 600 credits (in 1 auction)" in held, held
    assert "**Available:** 400 credits" in held, held
    assert "@purse · 600 credits" in held, held

    # A debit can't take what the bids hold.
    debit = await credit(emulator, ALICE_ID, 500, "correction", verb="debit")
    assert "only 400 credits available" in debit, debit
    assert "600 credits more are held" in debit, debit

    # Outbid: Alice's hold is released at once.
    assert (await bid(emulator, BOB_ID, "purse", 700)).startswith("You lead @purse")
    released = await wallet(emulator, ALICE_ID)
    assert "**Held:** 0 credits" in released, released
    assert "**Available:** 1,000 credits" in released, released
    assert "600 credits released from @purse (outbid)" in released, released

    # More than Carol has: refused by command, and by the post's quick button.
    by_command = await bid(emulator, CAROL_ID, "purse", 800)
    assert by_command == "You have 100 credits available; this bid needs 800.", by_command
    await emulator.wait_for(lambda: "Bid 735" in buttons(post), 20)
    clicked = await answered(emulator, emulator.click(CAROL_ID, post, button_id(post, "quick")))
    assert clicked == "You have 100 credits available; this bid needs 735.", clicked
    # ... and by the Bid... dialog, where a secret maximum is what the bid needs.
    opened = await respond(emulator, emulator.click(CAROL_ID, post, button_id(post, ":bid")))
    assert opened.callback is not None
    modal = opened.callback["data"]
    by_dialog = await answered(
        emulator,
        emulator.modal_submit(
            CAROL_ID, modal["custom_id"], {"amount": "750", "maximum": "900"}, post
        ),
    )
    assert by_dialog == "You have 100 credits available; this bid needs 900.", by_dialog

    # The close captures the final price from Bob's hold.
    ended = await answered(
        emulator, emulator.slash(MODERATOR_ID, "auctioneer", {"handle": "purse"}, "end")
    )
    assert "ended" in ended, ended
    bob = await wallet(emulator, BOB_ID)
    assert "**Balance:** 1,300 credits" in bob, bob
    assert "**Available:** 1,300 credits" in bob, bob
    assert "**700 credits** paid for @purse" in bob, bob


async def test_the_history_is_paged_with_buttons_that_survive_a_restart(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    for n in range(12):
        await credit(emulator, CAROL_ID, n + 1, f"gift {n + 1}")
    first = await respond(emulator, emulator.slash(CAROL_ID, "wallet", {"show": "history"}))
    await emulator.wait_for(lambda: reply_text(first).strip(), 20)
    text = reply_text(first)
    assert "(gift 12)" in text and "(gift 3)" in text and "(gift 2)" not in text, text
    page = first.original
    assert page is not None and page.ephemeral
    assert page.data["embeds"][0]["footer"]["text"] == "Page 1 of 2 · 12 movement(s)"
    # The buttons survive a restart: the page to show is in the custom id.
    assert await bot.stop() == 0
    await bot.start()
    turned = await respond(emulator, emulator.click(CAROL_ID, page, "wallet-history:next:1"))
    await emulator.wait_for(lambda: "Page 2 of 2" in str(turned.callback), 20)
    assert "(gift 1)" in str(turned.callback) and "(gift 12)" not in str(turned.callback)
