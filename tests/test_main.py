"""``python -m bot`` refuses to start on a bad set-up with one clear line, not a traceback."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.sqlite.process_lock import ProcessLock

ROOT = Path(__file__).resolve().parents[1]

VALID = """
[discord]
guild_ids = [1210000000000000100]
auction_channel_id = 1210000000000000201

[database]
path = "auctions.db"
"""


def run_bot(
    tmp_path: Path, *args: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    if token is not None:
        env["DISCORD_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


def test_missing_config_file(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--config", "nowhere.toml", token="t")
    assert_one_clear_line(result, "nowhere.toml", "not found", "config.example.toml")


def test_default_config_path_is_config_toml(tmp_path: Path) -> None:
    assert_one_clear_line(run_bot(tmp_path, token="t"), "config.toml", "not found")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[discord\ntoken = 1", "is not valid TOML"),
        (VALID + "\n[currency]\nmax_amount = \"lots\"\n", "[currency].max_amount"),
        (VALID + "\n[bidding]\nincrement_percent = -3\n", "[bidding].increment_percent"),
        (VALID + "\n[auctions]\nmin_duration = \"soon\"\n", "[auctions].min_duration"),
        (VALID + "\n[handles]\nplatform = \"myspace\"\n", "[handles].platform"),
        (VALID.replace("[database]", "[database]\ncolour = \"blue\""), "unknown key 'colour'"),
        (VALID + "\n[extras]\n", "Unknown section [extras]"),
    ],
    ids=["toml-syntax", "bad-type", "out-of-range", "bad-duration", "bad-platform",
         "unknown-key", "unknown-section"],
)  # fmt: skip
def test_invalid_config(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    assert_one_clear_line(run_bot(tmp_path, "--config", "config.toml", token="t"), expected)


def test_no_token(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(VALID, encoding="utf-8")
    line = assert_one_clear_line(run_bot(tmp_path, "--config", "config.toml"), "DISCORD_TOKEN")
    assert "No bot token" in line


def test_database_that_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "not-a-directory").write_text("", encoding="utf-8")
    text = VALID.replace('path = "auctions.db"', 'path = "not-a-directory/auctions.db"')
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    result = run_bot(tmp_path, "--config", "config.toml", token="t")
    line = assert_one_clear_line(result, "not-a-directory")
    assert "cannot open the database" in line


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--config", "config.toml", "launch", token="t")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice: 'launch'" in result.stderr


def test_a_second_bot_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    """Two bots on one file would answer every interaction twice: the second one leaves."""
    db_path = tmp_path / "auctions.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE kept (x INTEGER)")
        conn.execute("INSERT INTO kept VALUES (42)")
    conn.close()
    before = db_path.read_bytes()
    (tmp_path / "config.toml").write_text(VALID, encoding="utf-8")  # path = "auctions.db"

    # The running bot: this test process, holding the lock the bot takes (by absolute path,
    # while the config names it relatively).
    with ProcessLock.acquire(db_path):
        result = run_bot(tmp_path, "--config", "config.toml", token="t")
    assert result.returncode == 1, result
    line = assert_one_clear_line(result, str(db_path.resolve()), f"(pid {os.getpid()})")
    assert "already using the database" in line

    # It never opened the database: no WAL files, same bytes, still readable.
    assert db_path.read_bytes() == before
    assert not db_path.with_name("auctions.db-wal").exists()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT x FROM kept").fetchall() == [(42,)]
    conn.close()


def test_help_names_the_token_variable_and_the_config_file(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--help")
    assert result.returncode == 0, result
    assert "DISCORD_TOKEN" in result.stdout
    assert "config.toml" in result.stdout
    assert "config.example.toml" in result.stdout


def test_discord_out_of_reach_says_what_to_check_and_is_not_a_clean_stop(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    (tmp_path / "config.toml").write_text(VALID, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.run_bot", "--config", "config.toml"],
        cwd=tmp_path,
        env={
            **env,
            "PYTHONPATH": str(ROOT),
            "DISCORD_TOKEN": "t",
            "DISCORD_EMULATOR_URL": f"http://127.0.0.1:{closed_port}",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "stopped cleanly" not in output, output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot reach Discord"), last
    for hint in ("network", "DNS", "proxy"):
        assert hint in last, last


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--shard-ids", "0,x", "--shard-count", "2"), "argument --shard-ids: must be shard"),
        (("--shard-ids", "", "--shard-count", "2"), "argument --shard-ids: must be shard"),
        (("--shard-count", "0"), "argument --shard-count: must be a whole number of at least 1"),
        (("--shard-count", "two"), "argument --shard-count: must be a whole number"),
    ],
    ids=["not-a-number", "empty", "zero", "word"],
)
def test_unreadable_shard_flags_are_usage_errors(
    tmp_path: Path, flags: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "config.toml").write_text(VALID, encoding="utf-8")
    result = run_bot(tmp_path, "--config", "config.toml", *flags, token="t")
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert expected in result.stderr.strip().splitlines()[-1], result.stderr


@pytest.mark.parametrize(
    ("file_keys", "flags", "expected"),
    [
        ("", ("--shard-ids", "0,1"), "--shard-ids needs a shard count: set --shard-count too"),
        ("", ("--shard-ids", "2", "--shard-count", "2"), "--shard-ids has shard 2"),
        ("", ("--shard-ids", "1,1", "--shard-count", "2"), "lists shard 1 more than once"),
        ("shard_count = 2\n", ("--shard-ids", "5"), "with [discord].shard_count = 2"),
        ("shard_count = 4\nshard_ids = [3]\n", ("--shard-count", "2"), "[discord].shard_ids"),
    ],
    ids=["ids-without-count", "id-out-of-range", "duplicate", "file-count", "file-ids"],
)
def test_shard_flags_that_do_not_fit_say_why_in_one_line(
    tmp_path: Path, file_keys: str, flags: tuple[str, ...], expected: str
) -> None:
    text = VALID.replace("[discord]\n", f"[discord]\n{file_keys}")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    result = run_bot(tmp_path, "--config", "config.toml", *flags, token="t")
    assert result.returncode == 2, result
    assert_one_clear_line(result, expected)


def test_help_names_the_shard_flags(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--help")
    assert "--shard-count N" in result.stdout
    assert "--shard-ids IDS" in result.stdout
