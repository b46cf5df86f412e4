"""Fixtures of the browser tests: the sandbox in a child process, where screenshots go."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import ROOT, RunningSandbox, running_sandbox

SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with running_sandbox(tmpdir) as running:
        yield running


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the screenshots go: docs/screenshots/ with SANDBOX_SCREENSHOTS=1 (which
    regenerates the committed ones), else the test's own temporary folder."""
    folder = SCREENSHOTS if os.environ.get("SANDBOX_SCREENSHOTS") == "1" else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
