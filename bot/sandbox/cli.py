"""``python -m bot sandbox [--demo] [--port N] [--open] [--db PATH] [--config PATH]
[--check-api]``: the real bot against a loopback Discord, and a page to use it from.

Binds 127.0.0.1 only, never talks to the real Discord, needs no token. Ctrl-C stops the bot,
the loopback Discord and the page, and removes the temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import webbrowser
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot.sandbox.demo import Demo, DemoFailed
from bot.sandbox.session import Sandbox, SandboxError
from bot.sandbox.web import SandboxPage

DEFAULT_PORT = 8765
T = TypeVar("T")


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot sandbox",
        description=(
            "Run the bot against a local Discord in your browser: no token, no server, "
            "nothing leaves this machine."
        ),
    )
    parser.add_argument(
        "--demo", action="store_true", help="play a scripted auction (about a minute)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"the page's port (default {DEFAULT_PORT})"
    )
    parser.add_argument("--open", action="store_true", help="open the page in the browser")
    parser.add_argument(
        "--db", type=Path, default=None, help="keep the bot's database in this file"
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="try this config (its ids and token are replaced)"
    )
    parser.add_argument(
        "--check-api",
        action="store_true",
        help="check every request the bot sends against Discord's OpenAPI description",
    )
    parser.add_argument(
        "--exit-after-demo",
        action="store_true",
        help="stop when the demo ends instead of keeping the page up (for scripts)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, not {args.port}")
    if args.exit_after_demo and not args.demo:
        parser.error("--exit-after-demo goes with --demo")
    return args


def _say(line: str) -> None:
    # A terminal closed under the sandbox must not stop it from cleaning up after itself.
    with contextlib.suppress(OSError):
        print(line, flush=True)


async def _run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        sandbox = Sandbox(database=args.db, config=args.config, check_api=args.check_api)
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    page = SandboxPage(sandbox.emulator)
    try:
        _say(f"starting the loopback Discord and the bot (its log: {sandbox.log_path}) ...")
        await page.start(args.port)  # first: a port in use is said before the bot starts
        started = await _unless_stopped(sandbox.start(), stop)
        if started is None:
            return 0
        started.result()  # its error, if any
        _say(f"sandbox ready: open {page.url} (Ctrl-C stops it)")
        if args.open:
            webbrowser.open(page.url)
        code = 0
        if args.demo:
            code = await _demo(sandbox, stop)
            if args.exit_after_demo or stop.is_set():
                return code
            _say(f"the page stays up at {page.url} until Ctrl-C")
        await stop.wait()
        return code
    except (SandboxError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        _say("stopping ...")
        await page.stop()
        await sandbox.stop()


async def _unless_stopped(
    work: Coroutine[Any, Any, T], stop: asyncio.Event
) -> asyncio.Task[T] | None:
    """Run ``work`` unless Ctrl-C comes first: its finished task (result or error), or None
    if Ctrl-C came first (``work`` is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def _demo(sandbox: Sandbox, stop: asyncio.Event) -> int:
    played = await _unless_stopped(Demo(sandbox.emulator, _say).play(), stop)
    if played is None:
        return 1
    try:
        result = played.result()
    except (DemoFailed, RuntimeError) as exc:  # RuntimeError: the bot left the gateway
        _say(f"demo failed: {exc} (the bot's log: {sandbox.log_path})")
        return 1
    _say(f"result: {result.result}")
    if result.winner_dm:
        _say(f"the winner's DM: {result.winner_dm}")
    once = result.announcements == 1
    _say(
        "the winner was announced exactly once"
        if once
        else f"the result was announced {result.announcements} times, not once"
    )
    return 0 if once else 1


def main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    return asyncio.run(_run(args))
