"""The browser tests' harness: ``python -m bot sandbox --port 0`` as a child process, and its
page in Debian's Chromium driven through Playwright (never Playwright's own browser download).

Every wait is for a condition, with a generous deadline; nothing sleeps for correctness.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Headless, and none of Chromium's own background connections (refused on a closed network).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000  # for anything the page should show next
START_TIMEOUT = 90.0  # seconds for the sandbox to print its address (the bot may take 60)
STOP_TIMEOUT = 60.0  # seconds for the sandbox to stop after Ctrl-C
READY = re.compile(r"sandbox ready: open (http://127\.0\.0\.1:\d+)")
LOG = re.compile(r"\(its log: (\S+)\)")


@dataclass
class RunningSandbox:
    """``python -m bot sandbox`` in a child process, with its own temporary directory."""

    process: subprocess.Popen[str]
    tmpdir: Path  # the child's TMPDIR: its bot-sandbox-* folder is made here
    url: str = ""
    output: list[str] = field(default_factory=list)

    def folders(self) -> list[Path]:
        return sorted(self.tmpdir.glob("bot-sandbox-*"))

    def log_folder(self) -> Path | None:
        """The folder of the bot's log, as the start-up line names it."""
        found = LOG.search(self.printed())
        return Path(found.group(1)).parent if found else None

    def printed(self) -> str:
        return "".join(self.output)

    def interrupt(self) -> int:
        """Ctrl-C, as a person stops it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(
                f"the sandbox did not stop within {STOP_TIMEOUT:.0f} s of Ctrl-C; "
                f"it printed:\n{self.printed()}"
            )


@contextlib.contextmanager
def running_sandbox(tmpdir: Path) -> Iterator[RunningSandbox]:
    """The sandbox on a free port, until it prints its address; stopped at the end if the
    test did not stop it."""
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONUNBUFFERED="1")
    env.pop("DISCORD_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0"],
        cwd=ROOT, env=env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    sandbox = RunningSandbox(process, tmpdir)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not sandbox.url:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(
                    f"the sandbox printed no address within {START_TIMEOUT:.0f} s; "
                    f"it printed:\n{sandbox.printed()}"
                )
            if line is None:
                pytest.fail(
                    f"the sandbox stopped (exit code {process.wait()}) before it printed its "
                    f"address; it printed:\n{sandbox.printed()}"
                )
            sandbox.output.append(line)
            if found := READY.search(line):
                sandbox.url = found.group(1)

        def collect() -> None:  # what it prints later ("stopping ...")
            while (line := lines.get()) is not None:
                sandbox.output.append(line)

        threading.Thread(target=collect, daemon=True).start()
        yield sandbox
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def chromium_page(url: str) -> Iterator[Page]:
    """The page at ``url`` in headless Chromium. Fails (never skips) without Chromium, and
    fails on any error the page logs or throws: with the failure it caused, or at the end."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium; .ci/run does). No browser is downloaded."
        )
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console error: {message.text} ({message.location.get('url', '')})")

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=WAIT_MS * 2
        )
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC"
            )
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(f"uncaught error: {exc}"))
            page.goto(url)
            try:
                yield page
            except BaseException as exc:
                if errors:
                    exc.add_note("the page's errors:\n" + "\n".join(errors))
                raise
        finally:
            browser.close()
    assert not errors, "the page logged or threw errors:\n" + "\n".join(errors)
