"""The sandbox's config and lifecycle: the operator's file under the sandbox's ids, no token."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.sandbox import AUCTIONS_CHANNEL_ID, GUILD_ID, MODERATOR_ROLE_ID
from bot.sandbox.session import Sandbox, SandboxError, sandbox_config, to_toml


def test_the_written_config_is_one_the_bot_accepts(tmp_path: Path) -> None:
    config = sandbox_config(tmp_path / "auctions.db")
    text = to_toml(config)
    parsed = parse_config(tomllib.loads(text), base_dir=tmp_path, environ={})
    assert parsed.discord.guild_ids == (GUILD_ID,)
    assert parsed.server.auction_channel_id == AUCTIONS_CHANNEL_ID
    assert parsed.server.access.moderator_role_ids == {MODERATOR_ROLE_ID}
    assert parsed.database.path == tmp_path / "auctions.db"
    assert parsed.server.rules.min_duration.total_seconds() == 10


def test_an_operator_config_keeps_its_rules_but_not_its_ids_or_token(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[discord]\ntoken = "real-secret"\nguild_ids = [5]\nshard_count = 4\nshard_ids = [3]\n'
        '[currency]\nname = "gems"\n[handles]\nplatform = "generic"\n'
        "[handles.generic]\nmin_length = 2\n",
        encoding="utf-8",
    )
    config = sandbox_config(tmp_path / "a.db", mine)
    assert config["discord"]["token"] != "real-secret"
    assert config["discord"]["guild_ids"] == [GUILD_ID]
    parsed = parse_config(tomllib.loads(to_toml(config)), base_dir=tmp_path, environ={})
    assert parsed.server.currency.name == "gems"
    assert parsed.server.handles.platform == "generic"
    assert (parsed.discord.total_shards, parsed.discord.shards) == (1, (0,))


def test_a_config_that_is_not_toml_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[discord\n", encoding="utf-8")
    with pytest.raises(SandboxError, match=r"bad.toml is not valid TOML"):
        sandbox_config(tmp_path / "a.db", bad)
    with pytest.raises(SandboxError, match="cannot read the config"):
        sandbox_config(tmp_path / "a.db", tmp_path / "missing.toml")


def test_toml_strings_are_escaped() -> None:
    text = to_toml({"t": {"s": 'a "quoted"\\ line\nnext', "n": 3, "b": True, "l": [1, "x"]}})
    assert tomllib.loads(text) == {
        "t": {"s": 'a "quoted"\\ line\nnext', "n": 3, "b": True, "l": [1, "x"]}
    }


@pytest.mark.e2e
async def test_the_bot_starts_without_a_token_and_stops_leaving_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "must-not-be-read")
    kept = tmp_path / "kept.db"
    sandbox = Sandbox(database=kept)
    folder = sandbox.folder
    await sandbox.start()
    try:
        assert sandbox.bot_running
        assert sandbox.emulator.commands(GUILD_ID)  # the bot registered its commands
        assert sandbox.emulator.identifies
        assert all(i["token"] == "sandbox" for i in sandbox.emulator.identifies)
        written = sandbox.config_path.read_text("utf-8")
        assert 'token = "sandbox"' in written and "must-not-be-read" not in written
        assert sandbox.emulator.base_url.startswith("http://127.0.0.1:")
    finally:
        await sandbox.stop()
    assert not folder.exists()
    assert kept.exists()  # --db keeps the database
    assert os.environ["DISCORD_TOKEN"] == "must-not-be-read"


async def test_a_bot_that_cannot_start_is_reported_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[bidding]\nincrement_absolute = "ten"\n', encoding="utf-8")
    sandbox = Sandbox(config=bad)
    try:
        with pytest.raises(
            SandboxError, match=r"the bot stopped at start-up: .*increment_absolute"
        ):
            await sandbox.start()
    finally:
        await sandbox.stop()
