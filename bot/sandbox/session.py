"""One sandbox: the loopback Discord, the real bot as a child process, a temporary folder.

The bot runs as ``python -m bot`` does (``bot.sandbox.bot_process``), on a config written
here from the sandbox's server and, if given, the operator's own file; only Discord's
address differs. No token is read: the child's environment has none and its config names
a placeholder the loopback Discord accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import bot
from bot.sandbox import GUILD_ID, DiscordEmulator
from bot.sandbox.scene import SANDBOX_DEFAULTS, SANDBOX_KEYS, sandbox_world

READY_TIMEOUT = 60.0  # seconds for the bot to connect and register its commands
STOP_TIMEOUT = 15.0  # seconds for a clean stop before the bot is killed
# Where this process's ``bot`` package comes from (a clone or the installed copy): the child
# imports the very same code.
SOURCE = str(Path(bot.__file__).resolve().parents[1])


class SandboxError(RuntimeError):
    """The sandbox cannot start; the message says why in one line."""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def to_toml(tables: dict[str, Any], prefix: str = "") -> str:
    """Tables of plain values (and tables of tables, as [handles.generic]) as TOML text."""
    lines: list[str] = []
    nested: list[tuple[str, dict[str, Any]]] = []
    for key, value in tables.items():
        if isinstance(value, dict):
            nested.append((f"{prefix}{key}", value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for name, table in nested:
        out += f"\n[{name}]\n" + to_toml(table, f"{name}.")
    return out


def sandbox_config(database: Path, user_config: Path | None = None) -> dict[str, Any]:
    """The bot's config: the sandbox's defaults, the operator's file over them, and what
    the sandbox's server needs over both (its ids, no real token, the database file)."""
    merged: dict[str, Any] = {name: dict(table) for name, table in SANDBOX_DEFAULTS.items()}
    if user_config is not None:
        try:
            raw = tomllib.loads(user_config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SandboxError(f"cannot read the config {user_config}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SandboxError(f"{user_config} is not valid TOML: {exc}") from exc
        for name, table in raw.items():
            if isinstance(table, dict):
                merged.setdefault(name, {}).update(table)
            else:
                merged[name] = table
    for name, table in SANDBOX_KEYS.items():
        merged.setdefault(name, {}).update(table)
    merged.setdefault("database", {})["path"] = str(database)
    return merged


class Sandbox:
    """Start with ``await sandbox.start()``, stop with ``await sandbox.stop()`` (which also
    removes the temporary folder; a database named with ``database`` is kept)."""

    def __init__(
        self,
        *,
        database: Path | None = None,
        config: Path | None = None,
        check_api: bool = False,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bot-sandbox-"))
        self.database = database.resolve() if database is not None else self.folder / "auctions.db"
        self.config_path = self.folder / "config.toml"
        self.log_path = self.folder / "bot.log"
        self._user_config = config
        # The OpenAPI check costs milliseconds per request and needs openapi-core: asked for.
        try:
            self.emulator = DiscordEmulator(sandbox_world(), validate_spec=check_api)
        except RuntimeError as exc:  # the spec or openapi-core is missing
            shutil.rmtree(self.folder, ignore_errors=True)
            raise SandboxError(str(exc)) from exc
        self._child: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        try:
            config = sandbox_config(self.database, self._user_config)
            self.config_path.write_text(to_toml(config), encoding="utf-8")
            await self.emulator.start()
        except RuntimeError as exc:  # e.g. --check-api without openapi-core
            raise SandboxError(str(exc)) from exc
        env = dict(os.environ, DISCORD_EMULATOR_URL=self.emulator.base_url)
        env.pop("DISCORD_TOKEN", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (SOURCE, env.get("PYTHONPATH")) if p)
        env["SANDBOX_PARENT_PID"] = str(os.getpid())  # the bot stops if this process dies
        with self.log_path.open("ab") as log:
            # Its own session: Ctrl-C in the terminal reaches this process, which stops the
            # bot cleanly (SIGTERM), rather than both at once.
            self._child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.sandbox.bot_process", "--config", str(self.config_path),
                env=env, cwd=self.folder, stdout=log, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        await self._wait_until_ready()

    async def _wait_until_ready(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        emulator = self.emulator
        while not (emulator.connected_bots and emulator.commands(GUILD_ID)):
            if self._child is not None and self._child.returncode is not None:
                raise SandboxError(f"the bot stopped at start-up: {self.last_log_line()}")
            if loop.time() > deadline:
                raise SandboxError(
                    f"the bot did not connect within {READY_TIMEOUT:.0f} s; its log: {self.log_path}"
                )
            await asyncio.sleep(0.05)

    def last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = [line for line in self.log_path.read_text("utf-8").splitlines() if line]
            if lines:
                return lines[-1]
        return "(no output)"

    @property
    def bot_running(self) -> bool:
        return self._child is not None and self._child.returncode is None

    async def stop(self) -> None:
        child, self._child = self._child, None
        if child is not None and child.returncode is None:
            child.send_signal(signal.SIGTERM)  # the bot's own clean stop
            try:
                await asyncio.wait_for(child.wait(), STOP_TIMEOUT)
            except TimeoutError:
                child.kill()
                await child.wait()
        await self.emulator.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
