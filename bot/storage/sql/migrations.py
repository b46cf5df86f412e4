"""Numbered ``.sql`` migration files, as each store ships them in its ``migrations`` folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled(package: str) -> list[Migration]:
    """The migrations in ``package``'s ``migrations`` folder, in order; numbered 0001, 0002,
    ... without gaps, so a missing file is found before it is skipped."""
    found = []
    for entry in resources.files(package).joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"Migrations must be numbered 0001, 0002, ... without gaps: {found}")
    return found
