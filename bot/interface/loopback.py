"""Point discord.py's REST and gateway clients at a loopback Discord emulator."""

from __future__ import annotations

import discord
import yarl


def point_discord_at(base_url: str) -> None:
    """Send every REST call and the gateway connection to ``base_url`` (e.g. http://127.0.0.1:PORT).

    ``Route.BASE`` is read each time a route is built (interaction and webhook calls use the
    same Route), and a plain Client/Bot connects to ``DEFAULT_GATEWAY`` without asking
    ``GET /gateway/bot`` first.
    """
    base = base_url.rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    ws_base = "ws" + base.removeprefix("http")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"{ws_base}/gateway")
