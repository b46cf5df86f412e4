"""A throwaway PostgreSQL server for the tests and benchmarks: Debian's binaries, a data
directory in a temporary directory, 127.0.0.1 on a free port, ``fsync=off`` (for tests
only: a crash of this machine may lose what the server held, which a test never needs).

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user
(``runuser``); otherwise as the current user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# CI sets this: there the PostgreSQL tests must run, so a missing server fails them.
REQUIRED = "REQUIRE_POSTGRES"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def _bin_dir() -> Path:
    on_path = shutil.which("pg_ctl")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)
    if candidates and Path(candidates[-1], "initdb").exists():
        return Path(candidates[-1])
    if on_path and Path(on_path).with_name("initdb").exists():
        return Path(on_path).parent
    raise Unavailable(
        "PostgreSQL's server binaries (initdb, pg_ctl) were not found: on Debian or Ubuntu,"
        " apt-get install postgresql"
    )


def _version(path: str) -> tuple[int, ...]:
    parts = Path(path).parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    _as_user: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls, *, max_connections: int = 300) -> PostgresServer:
        bin_dir = _bin_dir()
        root = Path(tempfile.mkdtemp(prefix="auction-pg-"))
        as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise Unavailable("running as root, but there is no postgres user") from exc
            shutil.chown(root, "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        server = cls(bin_dir, root, _free_port(), as_user)
        data = root / "data"
        # An English collation, as a server set up by an operator usually has (not the C
        # locale this machine would give): the schema must not depend on the server's.
        server._run(
            "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale-provider=icu", "--icu-locale=en-US", "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root} -c fsync=off"
            f" -c synchronous_commit=off -c full_page_writes=off"
            f" -c max_connections={max_connections}"
        )
        server._run(
            "pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w", "-o", options, "start"
        )
        return server

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_user, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise Unavailable(
                f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout}\n{tail}"
            )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
