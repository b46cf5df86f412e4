"""``python -m bot.sandbox.bot_process --config PATH``: ``python -m bot`` itself, with only
Discord's REST base URL and gateway pointed at the loopback Discord whose address is in
``DISCORD_EMULATOR_URL``. Everything else is the real entry point.

With ``SANDBOX_PARENT_PID`` set, the bot also stops (cleanly, as on SIGTERM) when that
process is gone: a sandbox killed outright must not leave its bot running.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from bot.__main__ import main
from bot.interface.loopback import point_discord_at

PARENT_CHECK_EVERY = 0.5  # seconds


def stop_with_parent(parent: int) -> None:
    """SIGTERM this process once ``parent`` is no longer its parent (it died)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_EVERY)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="sandbox-parent", daemon=True).start()


if __name__ == "__main__":
    point_discord_at(os.environ["DISCORD_EMULATOR_URL"])
    if parent := os.environ.get("SANDBOX_PARENT_PID"):
        stop_with_parent(int(parent))
    sys.exit(main())
