"""Text a member or moderator supplied is shown literally on Discord."""

from __future__ import annotations

import pytest

from bot.interface.rendering import safe


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<t:99999999999999999>", "\\<t:99999999999999999>"),
        ("<#123456789012345678>", "\\<#123456789012345678>"),
        ("</bid:123456789012345678>", "\\</bid:123456789012345678>"),
        ("<:party:123456789012345678>", "\\<:party:123456789012345678>"),
        ("<a:party:123456789012345678>", "\\<a:party:123456789012345678>"),
        ("gems <3", "gems <3"),  # nothing Discord would read: left alone
    ],
)
def test_angled_syntax_is_escaped(text: str, shown: str) -> None:
    assert safe(text) == shown


def test_mentions_and_markdown_stay_escaped() -> None:
    shown = safe("@everyone **rich** <@123456789012345678>")
    assert "@everyone" not in shown and "**" not in shown
    assert "<@123456789012345678>" not in shown
