"""What `pip install .` installs: every file the bot reads at run time is in the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_NEEDED_AT_RUN_TIME = {"ruff.toml"}  # the linters' per-layer rules


def test_every_data_file_under_bot_is_declared_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    declared: set[Path] = set()
    for package, patterns in pyproject["tool"]["setuptools"]["package-data"].items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            declared.update(p for p in folder.glob(pattern) if p.is_file())
    data = {
        p
        for p in (ROOT / "bot").rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".pyc")
        and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)  # tool caches
        and p.name not in NOT_NEEDED_AT_RUN_TIME
    }
    missing = sorted(str(p.relative_to(ROOT)) for p in data - declared)
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"
    # The files the sandbox serves and the migrations are among them.
    names = {p.name for p in declared}
    assert {"index.html", "app.js", "style.css", "openapi.json"} <= names
