"""Custom ids are typed by whoever made the message: a forged button or dialog naming an
auction id SQLite cannot even hold (above 2**63 - 1) is answered like any unknown auction,
never with an apology and a traceback."""

from __future__ import annotations

import copy

import pytest

from bot.sandbox import ALICE_ID, DiscordEmulator, StoredMessage
from tests.e2e.conftest import BotProcess, answered, auction_post, start_auction

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("no_everyone_pings_and_no_failed_interactions"),
]

TOO_BIG = [str(2**63), "9" * 20]


def forged(post: StoredMessage, custom_ids: list[str]) -> dict[str, object]:
    """The post as a member's client would send it back, its buttons' ids replaced."""
    message = copy.deepcopy(post.data)
    buttons = [
        {"type": 2, "style": 1, "label": f"b{i}", "custom_id": custom_id}
        for i, custom_id in enumerate(custom_ids)
    ]
    message["components"] = [{"type": 1, "components": buttons}]
    return message


@pytest.mark.parametrize("auction_id", TOO_BIG)
async def test_forged_ids_beyond_what_sqlite_holds_are_unknown_auctions(
    emulator: DiscordEmulator, bot: BotProcess, auction_id: str
) -> None:
    await start_auction(emulator, "@target")
    post = await auction_post(emulator, "@target")
    ids = [
        f"auction:{auction_id}:quick:100",
        f"auction:{auction_id}:info",
        f"auction:{auction_id}:bid",
    ]
    message = forged(post, ids)
    for custom_id in ids:
        answer = await answered(emulator, emulator.click(ALICE_ID, message, custom_id))
        assert answer == "That auction no longer exists.", (custom_id, answer)
    dialog = await answered(
        emulator,
        emulator.modal_submit(
            ALICE_ID, f"auction:{auction_id}:modal", {"amount": "100"}, message=post
        ),
    )
    assert dialog == "That auction no longer exists.", dialog
    log = bot.log()
    assert "OverflowError" not in log, log
    assert "Traceback" not in log, log
