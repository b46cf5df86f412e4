"""Which process this is, in words an operator can find again: ``host:pid``.

Several bot processes may serve one bot (each its own shards); logs and answers name the one
that acted, so an operator can tell which machine and process to look at.
"""

from __future__ import annotations

import os
import socket


def process_name() -> str:
    """``hostname:pid`` of this process (read each time: a forked child has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"
