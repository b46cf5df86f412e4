"""``python -m bot.sandbox.bot_process --config PATH``: ``python -m bot`` itself, with only
Discord's REST base URL and gateway pointed at the loopback Discord whose address is in
``DISCORD_EMULATOR_URL``. Everything else is the real entry point."""

from __future__ import annotations

import os
import sys

from bot.__main__ import main
from bot.interface.loopback import point_discord_at

if __name__ == "__main__":
    point_discord_at(os.environ["DISCORD_EMULATOR_URL"])
    sys.exit(main())
