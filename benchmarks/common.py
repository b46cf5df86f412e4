"""What every benchmark shares: the machine it ran on, and a close timer that never fires."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith(("model name", "Hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[tuple[str, str]]:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return [
        ("platform", platform.platform()),
        ("cpu", _cpu_model()),
        ("cores", f"{cores} ({usable} usable)"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("sqlite", sqlite3.sqlite_version),
        ("aiosqlite", metadata.version("aiosqlite")),
    ]


def print_machine() -> None:
    """The ``machine`` block every benchmark's output starts with."""
    print("machine")
    for key, value in machine():
        print(f"  {key:<10} {value}")


class NoReminders:
    """A close timer for runs whose auctions never close: closing is not what is measured."""

    def remind_close(self, auction_id: int, at: object, job: object) -> None:
        pass

    def forget(self, auction_id: int) -> None:
        pass

    def repeat(self, name: str, every: object, job: object) -> None:
        pass
