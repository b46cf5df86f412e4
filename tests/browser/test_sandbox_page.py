"""The sandbox's page in a real browser, used as a person would: pick who to act as, type
slash commands, click the auction post's buttons, fill in the bid dialog, read the post,
the answers only one member may see, the result and the winner's DM.

Assertions are on what the page shows. The screenshots go to docs/screenshots/ with
``SANDBOX_SCREENSHOTS=1 python -m pytest tests/browser`` (the committed ones), else to the
test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.harness import RunningSandbox, chromium_page

pytestmark = pytest.mark.browser

HANDLE = "og"
DURATION = "12s"  # bids in its last 10 s move the end by 15 s: the close can take a while
CLOSE_WAIT_MS = 180_000  # for the result: the auction's end, any extensions, and a margin
PNG = b"\x89PNG\r\n\x1a\n"
EPHEMERAL_NOTE = "Only you can see this"


def act_as(page: Page, label: str, username: str) -> None:
    page.locator("#act-as").select_option(label=label)
    expect(page.locator("#act-role")).to_contain_text(f"@{username},")


def open_channel(page: Page, name: str) -> None:
    page.locator(f"#sidebar li[data-channel='{name}']").click()
    title = "@AuctionBot" if name == "dm" else f"# {name}"
    expect(page.locator("#channel-title")).to_have_text(title)


def messages(page: Page) -> Locator:
    return page.locator("#messages article.message")


def answers(page: Page) -> Locator:
    """The answers only the person acting can see."""
    return page.locator("#messages article.message.ephemeral")


def auction_post(page: Page) -> Locator:
    return page.locator("#messages article.message:not(.ephemeral)").filter(
        has=page.locator(".embed .title", has_text=f"@{HANDLE}")
    )


def field(post: Locator, name: str) -> Locator:
    """The value of the post's embed field called ``name``."""
    return (
        post.locator(".embed .field")
        .filter(has=post.page.get_by_text(name, exact=True))
        .locator(".field-value")
    )


def type_command(page: Page, text: str) -> None:
    box = page.locator("#box")
    box.click()
    box.press_sequentially(text)
    box.press("Enter")


def expect_post(post: Locator, *, price: str, leader: str, bids: str) -> None:
    expect(field(post, "Current price")).to_have_text(price)
    expect(field(post, "Leader")).to_have_text(leader)
    expect(field(post, "Bids")).to_have_text(bids)


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG, f"{path} is not a PNG"


def test_an_auction_from_start_to_result(sandbox: RunningSandbox, screenshots: Path) -> None:
    folder = sandbox.log_folder()
    assert folder is not None and folder.is_dir(), sandbox.printed()
    assert sandbox.folders() == [folder], "the sandbox's folder is not in its TMPDIR"
    with chromium_page(sandbox.url) as page:
        expect(page.locator("#status")).to_have_text("AuctionBot is online")
        expect(page.locator("#channel-title")).to_have_text("# auctions")
        for name in ("auctions", "audit", "general", "dm"):
            expect(page.locator(f"#sidebar li[data-channel='{name}']")).to_be_visible()

        # Maria, the moderator (the page acts as her first), lists @og from the command box:
        # "/" lists the bot's commands, choosing one shows its option fields.
        expect(page.locator("#act-as option:checked")).to_have_text("Maria (moderator)")
        page.locator("#box").click()
        page.locator("#box").press_sequentially("/")
        suggestions = page.locator("#suggestions")
        expect(suggestions).to_be_visible()
        expect(suggestions).to_contain_text("/bid")
        suggestions.locator(".suggestion", has_text="/auctioneer start").click()
        options = page.locator("#options")
        expect(options).to_be_visible()
        options.locator("[data-option='handle']").fill(f"@{HANDLE}")
        options.locator("[data-option='starting_bid']").fill("100")
        options.locator("[data-option='duration']").fill(DURATION)
        options.get_by_role("button", name="Send").click()
        started = answers(page).filter(has_text=f"Auction for @{HANDLE} started")
        expect(started).to_contain_text(EPHEMERAL_NOTE)
        expect(options).to_be_hidden()
        expect(page.locator("#box")).to_have_value("")

        post = auction_post(page)
        expect(post.locator(".embed .title")).to_have_text(f"@{HANDLE} is up for auction")
        expect_post(post, price="no bids yet", leader="nobody yet", bids="0")

        # Alice bids with the post's quick-bid button. Maria's answer is not hers to see.
        act_as(page, "Alice (member)", "alice")
        expect(started).to_have_count(0)
        quick = post.locator("button.component[data-custom-id*=':quick:']")
        expect(quick).to_have_text("Bid 100")
        quick.click()
        alice_leads = answers(page).filter(has_text=f"You lead @{HANDLE} at 100 credits")
        expect(alice_leads).to_contain_text(EPHEMERAL_NOTE)
        expect_post(post, price="100 credits", leader="@Alice", bids="1")
        expect(quick).not_to_have_text("Bid 100")  # the next minimum now

        # Bob bids with the "Bid..." button's dialog.
        act_as(page, "Bob (member)", "bob")
        post.locator("button.component[data-custom-id$=':bid']").click()
        dialog = page.locator("dialog#modal")
        expect(dialog).to_be_visible()
        expect(dialog.locator("h2")).to_have_text(f"Bid on @{HANDLE}")
        dialog.get_by_label("Your bid").fill("300")
        dialog.get_by_role("button", name="Submit").click()
        expect(dialog).to_be_hidden()
        bob_leads = answers(page).filter(has_text=f"You lead @{HANDLE} at 300 credits")
        expect(bob_leads).to_contain_text(EPHEMERAL_NOTE)
        expect_post(post, price="300 credits", leader="@Bob", bids="2")
        post.screenshot(path=screenshots / "auction-post.png")

        # Carol types a bid below the minimum: the refusal is hers alone; the post is unchanged.
        act_as(page, "Carol (member)", "carol")
        expect(bob_leads).to_have_count(0)
        type_command(page, f"/bid handle:{HANDLE} amount:120")
        refusal = answers(page).filter(has_text="The minimum bid is")
        expect(refusal).to_contain_text(EPHEMERAL_NOTE)
        expect(refusal).to_have_count(1)
        expect_post(post, price="300 credits", leader="@Bob", bids="2")

        # Dave asks for the auction's state (with the bot's autocomplete for the handle): his
        # own answer shows, and nobody else's.
        act_as(page, "Dave (member)", "dave")
        type_command(page, "/auction info")
        handle = page.locator("#options [data-option='handle']")
        expect(handle).to_be_focused()
        handle.press_sequentially(HANDLE)
        page.locator("#choices .suggestion", has_text=f"@{HANDLE}").click()
        expect(handle).not_to_have_value("")
        page.locator("#options").get_by_role("button", name="Send").click()
        expect(answers(page)).to_have_count(1)
        expect(answers(page)).to_contain_text("300")
        expect(messages(page).filter(has_text="The minimum bid is")).to_have_count(0)
        expect(messages(page).filter(has_text="You lead")).to_have_count(0)

        act_as(page, "Carol (member)", "carol")
        expect(refusal).to_have_count(1)

        # The auction closes: the result in #auctions, seen by Bob, and his DM.
        act_as(page, "Bob (member)", "bob")
        result = page.locator("#messages article.message:not(.ephemeral)").filter(
            has_text=f"Auction closed: @{HANDLE}."
        )
        expect(result).to_contain_text("Sold to @Bob for 300 credits", timeout=CLOSE_WAIT_MS)
        expect(post.locator(".embed .title")).to_contain_text("closed")
        bid_buttons = post.locator(
            "button.component[data-custom-id*=':quick:'], button.component[data-custom-id$=':bid']"
        )
        expect(bid_buttons.and_(post.locator("button.component:enabled"))).to_have_count(0)
        page.screenshot(path=screenshots / "auction-result.png")

        open_channel(page, "dm")
        won = messages(page).filter(has_text=f"You won the auction for @{HANDLE}")
        expect(won).to_contain_text("300 credits")
        page.screenshot(path=screenshots / "winner-dm.png")

    for name in ("auction-post.png", "auction-result.png", "winner-dm.png"):
        assert_png(screenshots / name)

    assert sandbox.interrupt() == 0, sandbox.printed()
    assert "stopping ..." in sandbox.printed()
    assert not folder.exists(), f"the sandbox left its temporary folder {folder} behind"
    assert sandbox.folders() == []


def test_commands_by_keyboard_and_in_a_dm(sandbox: RunningSandbox) -> None:
    with chromium_page(sandbox.url) as page:
        expect(page.locator("#status")).to_have_text("AuctionBot is online")
        act_as(page, "Alice (member)", "alice")

        # Enter on a command's name picks it and shows its fields; a bid typed fast into them
        # is sent at once, while the handle's autocomplete may still be on its way.
        type_command(page, "/bid")
        handle = page.locator("#options [data-option='handle']")
        expect(handle).to_be_focused()
        handle.press_sequentially(HANDLE)
        amount = page.locator("#options [data-option='amount']")
        amount.fill("100")
        amount.press("Enter")
        no_auction = answers(page).filter(has_text="There is no auction for")
        expect(no_auction).to_contain_text(EPHEMERAL_NOTE)
        expect(page.locator("#options")).to_be_hidden()
        expect(page.locator("#choices")).to_be_hidden()

        # A command used in the DM with the bot is answered there (the bot says where to use it).
        open_channel(page, "dm")
        type_command(page, "/outbid-alerts")
        enabled = page.locator("#options [data-option='enabled']")
        expect(enabled).to_be_focused()
        enabled.select_option(label="False")
        page.locator("#options").get_by_role("button", name="Send").click()
        expect(answers(page)).to_have_count(1)
        expect(answers(page)).to_contain_text(EPHEMERAL_NOTE)
        expect(answers(page)).to_contain_text("Auctions happen in servers")
