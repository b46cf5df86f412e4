"""The name a bot process goes by where several share one database (claims and leases)."""

from __future__ import annotations

import os
import socket


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
