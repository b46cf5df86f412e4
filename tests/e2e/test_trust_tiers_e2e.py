"""Trust tiers end to end: an admin sets "bids above 1,000 need the Bidder role" with
``/settings tiers``, and the real bot refuses a member without the role on every bid path
(``/bid``, a secret maximum, the post's quick button and its dialog) while a role holder bids."""

from __future__ import annotations

import pytest

from bot.sandbox import (
    ALICE_ID,
    BIDDER_ROLE_ID,
    BOB_ID,
    CAROL_ID,
    MODERATOR_ID,
    ROLE,
    DiscordEmulator,
    Opt,
)
from tests.e2e.conftest import (
    BotProcess,
    answered,
    auction_post,
    bid,
    button_id,
    fields,
    respond,
    start_auction,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

REFUSAL = (
    f"Bids above 1,000 credits need the <@&{BIDDER_ROLE_ID}> role; you can bid up to "
    "1,000 credits without it."
)


async def tiers(emulator: DiscordEmulator, user_id: int, **options: object) -> str:
    return await answered(emulator, emulator.slash(user_id, "settings", options, "tiers"))


async def test_a_tier_refuses_members_without_its_role_on_every_bid_path(
    emulator: DiscordEmulator, bot: BotProcess
) -> None:
    # Members can't set tiers; bad options are refused with what would work.
    refused = await tiers(
        emulator, CAROL_ID, action="add", amount=1000, role=Opt(ROLE, BIDDER_ROLE_ID)
    )
    assert "Manage Server" in refused, refused
    missing = await tiers(emulator, MODERATOR_ID, action="add", amount=1000)
    assert missing == "Name the role that bids above this amount need.", missing
    assert (await tiers(emulator, MODERATOR_ID, action="list")).startswith("No trust tiers")

    added = await tiers(
        emulator, MODERATOR_ID, action="add", amount=1000, role=Opt(ROLE, BIDDER_ROLE_ID)
    )
    assert f"above 1,000: <@&{BIDDER_ROLE_ID}>" in added, added
    listed = await tiers(emulator, MODERATOR_ID, action="list")
    assert listed == f"Trust tiers: above 1,000: <@&{BIDDER_ROLE_ID}>.", listed

    await start_auction(emulator, "@tiered", starting_bid=900)
    post = await auction_post(emulator, "@tiered")
    # Carol has no Bidder role: up to 1,000 she may bid, above it she may not.
    assert (await bid(emulator, CAROL_ID, "tiered", 1000)).startswith("You lead"), "within tier"
    assert await bid(emulator, CAROL_ID, "tiered", 1001) == REFUSAL
    assert await bid(emulator, CAROL_ID, "tiered", 1000, maximum=5000) == REFUSAL
    # The quick button offers 1,050 (the next minimum): above the tier for Carol.
    await emulator.wait_for(lambda: fields(post).get("Current price") == "1,000 credits", 20)
    assert await answered(emulator, emulator.click(CAROL_ID, post, button_id(post, "quick"))) == (
        REFUSAL
    )
    opened = await respond(emulator, emulator.click(CAROL_ID, post, button_id(post, ":bid")))
    assert opened.callback is not None
    modal = opened.callback["data"]
    by_dialog = await answered(
        emulator, emulator.modal_submit(CAROL_ID, modal["custom_id"], {"amount": "2000"}, post)
    )
    assert by_dialog == REFUSAL
    # Bob holds the role: his bid above the tier is taken.
    assert (await bid(emulator, BOB_ID, "tiered", 3000, maximum=9000)).startswith("You lead")
    await emulator.wait_for(lambda: fields(post).get("Current price") == "3,000 credits", 20)
    assert fields(post)["Leader"] == f"<@{BOB_ID}>"

    removed = await tiers(emulator, MODERATOR_ID, action="remove", amount=1000)
    assert "limits.tiers" in removed, removed
    assert (await bid(emulator, ALICE_ID, "tiered", 9500)).startswith("You lead")
