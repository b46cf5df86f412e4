"""The handle house's messages stay within Discord's limits, and forged buttons change nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.domain.inventory import Drop, ScheduledStart
from bot.interface.stock_rendering import drops_embed
from cogs.handles import SoldPageButton

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _drop(n: int) -> tuple[Drop, list[ScheduledStart], list[str]]:
    drop = Drop(n, 1, 2, NOW, NOW, timedelta(minutes=10), timedelta(hours=1), 3, NOW)
    starts = [
        ScheduledStart(
            n * 100 + i, 1, i, n, NOW + timedelta(minutes=i), timedelta(hours=1), 10, 3, 2
        )
        for i in range(20)
    ]
    return drop, starts, [f"a_b_c_d_e_f_g_{i:02d}" for i in range(20)]


def test_the_drops_list_fits_in_one_embed_however_many_drops_are_coming() -> None:
    embed = drops_embed([_drop(n) for n in range(1, 40)])
    assert len(embed) <= 6000
    assert len(embed.fields) <= 25
    assert embed.footer.text is not None and "more drop(s)" in embed.footer.text


async def test_a_forged_member_id_in_the_sold_list_button_means_nobody() -> None:
    template = SoldPageButton.__discord_ui_compiled_template__  # type: ignore[attr-defined]
    forged = re.fullmatch(template, "handles-sold:next:0:9999999999999999999")
    assert forged is not None
    button = await SoldPageButton.from_custom_id(None, None, forged)  # type: ignore[arg-type]
    assert button.member == 0
    assert re.fullmatch(template, "handles-sold:next:0:99999999999999999999") is None
