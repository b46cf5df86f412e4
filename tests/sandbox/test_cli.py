"""``python -m bot sandbox`` as a newcomer runs it: the demo to its end, the page, Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

import aiohttp
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(rb"sandbox ready: open (http://127\.0\.0\.1:\d+)")


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DISCORD_TOKEN", None)
    return env


LOG = re.compile(r"its log: (\S+)/bot\.log")


def _folder(output: str) -> Path:
    """The sandbox's temporary folder, from the line that names its log."""
    found = LOG.search(output)
    assert found, output
    folder = Path(found.group(1))
    assert folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith("bot-sandbox-")
    return folder


async def _sandbox(*args: str) -> asyncio.subprocess.Process:
    # Its own process group, as a terminal gives it: Ctrl-C goes to the whole group.
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", "0", *args,
        cwd=ROOT, env=_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


async def test_the_demo_plays_an_auction_to_its_end_and_announces_the_winner_once() -> None:
    process = await _sandbox("--demo", "--exit-after-demo")
    out, _ = await asyncio.wait_for(process.communicate(), 240)
    text = out.decode()
    assert process.returncode == 0, text
    lines = text.splitlines()
    assert any(
        re.search(r"Maria: /auctioneer start handle:@og .*Auction for @og started", line)
        for line in lines
    ), text
    assert any(
        "Bob: /bid handle:og amount:150 max:400" in line and "stays secret" in line
        for line in lines
    ), text
    assert any("clicks the post's quick-bid button" in line for line in lines), text
    assert any(
        re.search(r"the end moved from \S+ to \S+ \(anti-sniping\)", line) for line in lines
    ), text
    assert "result: Auction closed: @og. Sold to @Dave for" in text, text
    assert "the winner's DM: You won the auction for @og" in text, text
    assert lines[-2] == "the winner was announced exactly once", text
    assert not _folder(text).exists()  # its temporary folder is gone


async def test_the_page_is_up_until_ctrl_c_which_stops_everything() -> None:
    process = await _sandbox()
    assert process.stdout is not None
    seen = b""
    while not (ready := READY.search(seen)):
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line, seen.decode()
        seen += line
    url = ready.group(1).decode()
    folder = _folder(seen.decode())
    assert folder.is_dir()
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert "/static/app.js" in await response.text()
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
    rest = await asyncio.wait_for(process.stdout.read(), 60)
    assert await process.wait() == 0, (seen + rest).decode()
    assert b"stopping" in rest
    assert not folder.exists()


async def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "sandbox", "--port", str(port),
            cwd=ROOT, env=_env(), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), 120)
    text = out.decode()
    assert process.returncode == 1
    assert f"error: cannot serve the page on 127.0.0.1:{port}" in text
    assert "Traceback" not in text
    assert "sandbox ready" not in text  # said before the bot was started at all
    assert not _folder(text).exists()


async def test_ctrl_c_during_start_up_is_a_plain_stop() -> None:
    process = await _sandbox()
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), 60)
    assert b"starting the loopback Discord" in first
    os.killpg(process.pid, signal.SIGINT)
    rest = await asyncio.wait_for(process.stdout.read(), 60)
    text = (first + rest).decode()
    assert await process.wait() == 0, text
    assert "error" not in text and "Traceback" not in text, text
    assert not _folder(text).exists()


async def test_bad_arguments_say_what_would_be_right() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", "70000",
        cwd=ROOT, env=_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "--port must be between 0 and 65535" in out.decode()


def _processes_with(text: str) -> list[int]:
    """The pids of the processes whose command line contains ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(int(proc.name))
    return found


async def test_a_sandbox_killed_outright_does_not_leave_its_bot_running() -> None:
    process = await _sandbox()
    assert process.stdout is not None
    seen = b""
    while not READY.search(seen):
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line, seen.decode()
        seen += line
    config = str(_folder(seen.decode()) / "config.toml")
    assert _processes_with(config)  # the bot, running on the sandbox's config
    process.kill()  # SIGKILL: no clean-up of its own
    await process.wait()
    deadline = asyncio.get_running_loop().time() + 30
    while _processes_with(config):
        assert asyncio.get_running_loop().time() < deadline, "the bot outlived its sandbox"
        await asyncio.sleep(0.1)
    shutil.rmtree(_folder(seen.decode()), ignore_errors=True)
