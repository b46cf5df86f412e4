"""Runs a benchmark the way a developer does, in a child process from the repository's root."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_run(module: str, *args: str, timeout: float, env: Mapping[str, str] | None = None) -> str:
    """``python -m benchmarks.<module> --quick [args]``; its output, once it exited 0.
    ``env`` replaces the environment, as in ``subprocess.run``."""
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--quick", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def imports_no_discord(*modules: str, timeout: float = 60) -> None:
    """Importing ``modules`` (``benchmarks.<name>``) leaves discord unimported."""
    names = ", ".join(f"benchmarks.{m}" for m in modules)
    code = f"import sys, {names}; assert 'discord' not in sys.modules, 'discord imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=timeout)
