"""``python -m benchmarks.ack_bot GUILD_ID [POOL]``: the yardstick of ``benchmarks.burst``.

A discord.py client and nothing more: it registers a ``/bid`` of the same shape as the real
bot's (handle, amount, optional max; guild only) in one server and answers every interaction
with one plain ephemeral ``send_message``. No database, no rendering, no logging per
interaction: what a discord.py bot costs before it does any work of its own. With POOL it
keeps its connections in the bot's bounded pool (POOL per host) instead of discord.py's
connector with no limit. It talks to the
loopback emulator whose address is in ``DISCORD_EMULATOR_URL``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.interface.loopback import point_discord_at

log = logging.getLogger("ack_bot")

AMOUNT = app_commands.Range[int, 1, 2**53 - 1]
HANDLE = app_commands.Range[str, 1, 64]


class AckBot(discord.Client):
    def __init__(self, guild_id: int, pool: int | None = None) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.guild = discord.Object(id=guild_id)
        self.tree: app_commands.CommandTree[AckBot] = app_commands.CommandTree(self)
        self.tree.add_command(bid, guild=self.guild)
        self.pool = pool

    async def login(self, token: str) -> None:
        if self.pool is not None:  # the bot's own connection pool (bot/client.py)
            self.http.connector = aiohttp.TCPConnector(limit=0, limit_per_host=self.pool)
        await super().login(token)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)


@app_commands.command(name="bid")
@app_commands.guild_only()
@app_commands.rename(maximum="max")
async def bid(
    interaction: discord.Interaction[Any],
    handle: HANDLE,
    amount: AMOUNT,
    maximum: AMOUNT | None = None,
) -> None:
    """Bid on a handle's auction.

    Args:
        handle: The handle up for auction, e.g. @ogname.
        amount: Your bid.
        maximum: Optional secret maximum.
    """
    await interaction.response.send_message("Noted.", ephemeral=True)


async def run(guild_id: int, pool: int | None) -> None:
    client = AckBot(guild_id, pool)
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()

    def stop() -> None:
        task = loop.create_task(client.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    loop.add_signal_handler(signal.SIGTERM, stop)
    loop.add_signal_handler(signal.SIGINT, stop)
    async with client:
        await client.start("emulator-token")


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    # An answer Discord refused as too late would cost a formatted traceback per interaction
    # (discord.py's default CommandTree.on_error), work the yardstick is not to do.
    logging.getLogger("discord.app_commands.tree").setLevel(logging.CRITICAL)
    point_discord_at(os.environ["DISCORD_EMULATOR_URL"])
    asyncio.run(run(int(argv[0]), int(argv[1]) if len(argv) > 1 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
