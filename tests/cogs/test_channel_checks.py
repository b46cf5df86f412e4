"""The checks /auction start makes on the channel, with spec'd fakes of discord.py objects."""

from __future__ import annotations

from unittest.mock import create_autospec

import discord
import pytest

from bot.domain.errors import InvalidInput
from cogs.auctioneer import _check_can_post


def channel_where_bot_may(**allowed: bool) -> discord.TextChannel:
    channel = create_autospec(discord.TextChannel, instance=True)
    channel.id = 42
    channel.guild = create_autospec(discord.Guild, instance=True)
    channel.guild.me = create_autospec(discord.Member, instance=True)
    channel.permissions_for.return_value = discord.Permissions(**allowed)
    return channel


def test_a_channel_the_bot_can_post_in_passes() -> None:
    channel = channel_where_bot_may(view_channel=True, send_messages=True, embed_links=True)
    _check_can_post(channel)
    channel.permissions_for.assert_called_once_with(channel.guild.me)


@pytest.mark.parametrize("missing", ["view_channel", "send_messages", "embed_links"])
def test_a_channel_missing_a_permission_is_refused_with_what_is_needed(missing: str) -> None:
    allowed = {"view_channel": True, "send_messages": True, "embed_links": True, missing: False}
    with pytest.raises(InvalidInput, match="I need View Channel, Send Messages and Embed Links"):
        _check_can_post(channel_where_bot_may(**allowed))
