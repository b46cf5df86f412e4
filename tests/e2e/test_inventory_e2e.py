"""The inventory end to end: the real bot imports a CSV a moderator attaches, answers with a
report file, lists, shows and withdraws handles; members are refused; an inventory handle is
auctioned at its stored starting bid, sold, looked up in the sold registry and released."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from bot.sandbox import (
    ALICE_ID,
    BOB_ID,
    MODERATOR_ID,
    OWNER_ID,
    DiscordEmulator,
    InteractionHandle,
    StoredMessage,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    assert_private_answer,
    auction_post,
    bid,
    buttons,
    embed,
    fields,
    reply_text,
    respond,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

WAIT = 20.0  # seconds: generous, every wait ends as soon as its condition holds
MB = 1024 * 1024


async def command(
    emulator: DiscordEmulator,
    user_id: int,
    name: str,
    options: dict[str, Any] | None = None,
    subcommand: str | None = None,
) -> InteractionHandle:
    """Run a slash command; its handle once the (ephemeral) answer is complete."""
    handle = await respond(emulator, emulator.slash(user_id, name, options, subcommand))
    await emulator.wait_for(lambda: reply_text(handle).strip(), WAIT)
    assert_private_answer(handle)
    return handle


def shown(handle: InteractionHandle) -> StoredMessage:
    """The message that carries the answer: the original, or the follow-up after a defer."""
    messages = [m for m in [handle.original, *handle.followups] if m is not None]
    found = [m for m in messages if m.content or m.data.get("embeds")]
    assert found, [m.data for m in messages]
    return found[-1]


async def import_csv(
    emulator: DiscordEmulator,
    content: bytes,
    *,
    user_id: int = MODERATOR_ID,
    filename: str = "stock.csv",
    content_type: str = "text/csv",
    **options: Any,
) -> InteractionHandle:
    upload = emulator.upload(filename, content, content_type)
    return await command(emulator, user_id, "inventory", {"file": upload, **options}, "import")


def report_rows(emulator: DiscordEmulator, handle: InteractionHandle) -> list[dict[str, str]]:
    """The rows of the import-report.csv attached to the answer."""
    data = emulator.attachment_bytes(shown(handle), "import-report.csv")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert reader.fieldnames == ["row", "handle", "result", "reason", "score"]
    return list(reader)


async def inventory_list(emulator: DiscordEmulator, **options: Any) -> StoredMessage:
    handle = await command(emulator, MODERATOR_ID, "inventory", options or None, "list")
    return shown(handle)


async def text(
    emulator: DiscordEmulator,
    user_id: int,
    name: str,
    options: dict[str, Any] | None = None,
    subcommand: str | None = None,
) -> str:
    return await answered(emulator, emulator.slash(user_id, name, options, subcommand))


STOCK = "\n".join(
    [
        "handle,starting_bid,tags,note",
        "@ogname,500,short,a fine name",
        "bad name!,,,",
        "admin,,,",
        "OGNAME,700,,",
        "live,,,",
        *(f"stock{n:02d},{100 + n}," for n in range(1, 11)),
    ]
).encode()


async def test_a_moderator_imports_lists_shows_and_removes(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    await start_auction(emulator, "@live")  # already up for auction when the file comes in
    await auction_post(emulator, "@live")

    imported = await import_csv(emulator, STOCK)
    summary = shown(imported).content
    assert summary.startswith("Imported **11** handle(s); **4** refused."), summary
    assert "The attached report has a line for every row." in summary

    rows = report_rows(emulator, imported)
    assert [r["row"] for r in rows] == [str(n) for n in range(2, 17)]  # header is row 1
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[2]["result"] == "added" and by_row[2]["handle"] == "ogname"
    assert by_row[2]["reason"] == "" and by_row[2]["score"].isdigit()
    assert by_row[3]["result"] == "refused" and by_row[3]["handle"] == "bad name!"
    assert by_row[3]["reason"] and by_row[3]["score"] == ""
    assert by_row[4]["result"] == "refused"
    assert "reserved" in by_row[4]["reason"], by_row[4]
    assert by_row[5]["result"] == "refused"
    assert by_row[5]["reason"] == "the same handle as row 2", by_row[5]
    assert by_row[6]["result"] == "refused"
    assert "already up for auction" in by_row[6]["reason"], by_row[6]
    assert all(by_row[n]["result"] == "added" for n in range(7, 17))
    # The summary names the refused rows too.
    for number in (3, 4, 5, 6):
        assert f"row {number}: " in summary, summary

    # The list: ten to a page, with working Previous/Next buttons.
    listed = await inventory_list(emulator)
    assert embed(listed)["title"] == "Inventory"
    assert embed(listed)["footer"]["text"] == "Page 1 of 2 · 11 handle(s)"
    first_page = embed(listed)["description"].split("\n")
    assert len(first_page) == 10
    assert buttons(listed)["Previous"].get("disabled")
    assert not buttons(listed)["Next"].get("disabled")
    assert "@live" not in embed(listed)["description"]
    assert "@admin" not in embed(listed)["description"]

    turned = await respond(
        emulator, emulator.click(MODERATOR_ID, listed, buttons(listed)["Next"]["custom_id"])
    )
    assert turned.callback is not None and turned.callback["type"] == 7  # edits the list
    assert embed(listed)["footer"]["text"] == "Page 2 of 2 · 11 handle(s)"
    second_page = embed(listed)["description"].split("\n")
    assert len(second_page) == 1 and second_page[0] not in first_page
    assert buttons(listed)["Next"].get("disabled")
    everything = "\n".join(first_page + second_page)
    assert "@ogname · score " in everything and "500 credits · available · short" in everything
    for n in range(1, 11):
        assert f"@stock{n:02d}" in everything

    # /inventory show: the valuation, to moderators only.
    details = await text(emulator, MODERATOR_ID, "inventory", {"handle": "ogname"}, "show")
    assert "@ogname in the inventory" in details, details
    assert "Status: available" in details
    assert "Starting bid: 500 credits" in details
    assert "Note: a fine name" in details
    assert "Valuation: Valuation **" in details and "/100**" in details, details
    refused = await text(emulator, ALICE_ID, "inventory", {"handle": "ogname"}, "show")
    assert "Only moderators" in refused, refused
    assert "/100" not in refused

    # /inventory remove withdraws it: it is off the list.
    removed = await text(
        emulator, MODERATOR_ID, "inventory", {"handle": "@stock01", "reason": "typo"}, "remove"
    )
    assert removed == "@stock01 is out of the inventory.", removed
    after = await inventory_list(emulator)
    assert embed(after)["footer"]["text"] == "Page 1 of 1 · 10 handle(s)"
    assert "@stock01" not in embed(after)["description"]
    assert not after.data.get("components")  # one page: no buttons
    withdrawn = await inventory_list(emulator, status="withdrawn")
    assert "@stock01" in embed(withdrawn)["description"]


async def test_refused_imports_change_nothing(emulator: DiscordEmulator, bot: BotProcess) -> None:
    # A member (the Bidder role, not a moderator) is refused.
    refused = await import_csv(emulator, b"handle\nmemberpick\n", user_id=ALICE_ID)
    assert "Only moderators" in reply_text(refused), reply_text(refused)
    assert not shown(refused).data.get("attachments")

    # A PNG: one clear line.
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(64)
    answer = reply_text(
        await import_csv(emulator, png, filename="logo.png", content_type="image/png")
    )
    assert "isn't a CSV" in answer and "\n" not in answer.strip(), answer

    # No handle column.
    answer = reply_text(await import_csv(emulator, b"name,starting_bid\nfoo,100\n"))
    assert "The file has no `handle` column" in answer, answer

    # Over 2 MB: refused on the size Discord reports.
    big = b"handle\n" + b"bigfile\n" * (3 * MB // 8)
    answer = reply_text(await import_csv(emulator, big, filename="big.csv"))
    assert "the limit is 2 MB" in answer, answer
    assert "Imported" not in answer

    listed = await inventory_list(emulator)
    assert embed(listed)["description"].startswith("Nothing matches."), embed(listed)

    # A brand name needs an override with a reason.
    added = await text(
        emulator, OWNER_ID, "settings", {"action": "add", "handle": "nike"}, "brands"
    )
    assert "@nike" in added and "added" in added, added
    brand = await import_csv(emulator, b"handle,starting_bid\nnike,1000\n")
    summary = shown(brand).content
    assert summary.startswith("Imported **0** handle(s); **1** refused."), summary
    [row] = report_rows(emulator, brand)
    assert row["result"] == "refused" and "brand list" in row["reason"], row
    listed = await inventory_list(emulator)
    assert embed(listed)["description"].startswith("Nothing matches."), embed(listed)

    overridden = await import_csv(
        emulator, b"handle,starting_bid\nnike,1000\n", override=True, reason="licensed by Nike"
    )
    summary = shown(overridden).content
    assert summary.startswith("Imported **1** handle(s); **0** refused."), summary
    assert "Brand override (audited) for 1 handle(s)." in summary
    [row] = report_rows(emulator, overridden)
    assert row["result"] == "added" and row["handle"] == "nike", row
    listed = await inventory_list(emulator)
    assert "@nike" in embed(listed)["description"]


async def test_a_file_just_over_the_limit_is_not_called_2_0_mb(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    just_over = b"handle\n" + b"x" * (2 * MB - 6)  # 2 MB + 1 byte
    answer = reply_text(await import_csv(emulator, just_over, filename="big.csv"))
    assert "the limit is 2 MB" in answer, answer
    assert "The file is 2.0 MB" not in answer, answer


async def test_an_inventory_handle_is_sold_registered_and_released(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    imported = await import_csv(emulator, b"handle,starting_bid\nsellme,250\n")
    assert shown(imported).content.startswith("Imported **1** handle(s)")

    started = await text(
        emulator, MODERATOR_ID, "auctioneer", {"handle": "sellme", "duration": "10m"}, "start"
    )
    assert "Auction for @sellme started at 250 credits" in started, started
    assert "Valuation **" in started and "/100**" in started, started
    post = await auction_post(emulator, "@sellme")
    assert fields(post)["Minimum next bid"] == "250 credits"
    details = await text(emulator, MODERATOR_ID, "inventory", {"handle": "sellme"}, "show")
    assert "Status: in auction" in details, details

    assert await bid(emulator, ALICE_ID, "sellme", 250) == "You lead @sellme at **250 credits**."
    ended = await text(emulator, MODERATOR_ID, "auctioneer", {"handle": "sellme"}, "end")
    assert f"Sold to <@{ALICE_ID}> for **250 credits**." in ended, ended

    sold = await text(emulator, BOB_ID, "handles", None, "sold")
    assert f"@sellme · <@{ALICE_ID}> · 250 · since <t:" in sold, sold
    owner = await text(emulator, BOB_ID, "handles", {"handle": "@sellme"}, "owner")
    assert owner.startswith(f"@sellme is held by <@{ALICE_ID}> since <t:"), owner
    assert owner.endswith("bought for 250 credits."), owner
    details = await text(emulator, MODERATOR_ID, "inventory", {"handle": "sellme"}, "show")
    assert "Status: sold" in details, details

    released = await text(
        emulator, MODERATOR_ID, "auctioneer", {"handle": "sellme", "reason": "refund"}, "release"
    )
    assert released == "@sellme can be auctioned again.", released
    details = await text(emulator, MODERATOR_ID, "inventory", {"handle": "sellme"}, "show")
    assert "Status: available" in details, details
    gone = await text(emulator, BOB_ID, "handles", {"handle": "sellme"}, "owner")
    assert "is not held by anyone" in gone, gone
    assert "None yet." in await text(emulator, BOB_ID, "handles", None, "sold")
