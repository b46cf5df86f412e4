from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import DEPRECATED_KEYS, KNOWN_KEYS, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_and_documents_every_key() -> None:
    config = load_config(ROOT / "config.example.toml", environ={"DISCORD_TOKEN": "t"})
    assert config.discord.token == "t"
    assert config.server.handles.platform == "x"
    assert config.server.currency.max_amount == 10**12
    assert config.database.path == ROOT / "data" / "auctions.db"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section, keys in KNOWN_KEYS.items():  # every key the loader knows is documented
        assert f"[{section}]" in text
        for key in keys - {"generic"} - DEPRECATED_KEYS.get(section, set()):
            assert f"\n{key} = " in text, f"[{section}].{key} is not documented"


def test_environment_token_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[discord]\ntoken = "from-file"\n')
    assert load_config(path, environ={}).discord.token == "from-file"
    assert load_config(path, environ={"DISCORD_TOKEN": "from-env"}).discord.token == "from-env"


def test_missing_token_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_config(write(tmp_path, ""), environ={})


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found; copy config.example.toml"):
        load_config(tmp_path / "nope.toml", environ={"DISCORD_TOKEN": "t"})


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[discord\n"), environ={"DISCORD_TOKEN": "t"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[bogus]\n", r"Unknown section \[bogus\]"),
        ("[bidding]\nincrement_percnt = 5\n", r"\[bidding\] has unknown key 'increment_percnt'"),
        (
            '[bidding]\nincrement_absolute = "ten"\n',
            r"\[bidding\]\.increment_absolute must be a whole number",
        ),
        (
            "[bidding]\nincrement_absolute = 0\n",
            r"\[bidding\]\.increment_absolute must be between 1 and",
        ),
        ('[bidding]\nanti_snipe_window = "soon"\n', r"\[bidding\]\.anti_snipe_window"),
        ('[handles]\nplatform = "myspace"\n', r"\[handles\]\.platform must be one of"),
        ('[database]\nsynchronous = "sometimes"\n', r"\[database\]\.synchronous"),
        ('[auctions]\nmin_duration = "2d"\nmax_duration = "1d"\n', "min_duration"),
        ('[discord]\nguild_ids = ["x"]\n', r"\[discord\]\.guild_ids must be a list of Discord ids"),
        ("[currency]\nmax_amount = 0\n", r"\[currency\]\.max_amount must be between"),
        ('[handles.generic]\ncharacters = "z-a"\n', r"\[handles.generic\]"),
        ("[discord]\nrequests_per_second = 60\n", r"\[discord\]\.requests_per_second must be"),
        ("[discord]\nhttp_connections = 0\n", r"\[discord\]\.http_connections must be between"),
        ('[outbox]\nkeep_delivered = "1h"\n', r"\[outbox\]\.keep_delivered must be at least 24h"),
        ('[outbox]\nlease = "5s"\n', r"\[outbox\]\.lease must be between 10s and 1h"),
        ('[outbox]\nlease = "2h"\n', r"\[outbox\]\.lease must be between 10s and 1h"),
        ("[outbox]\nlease = 60\n", r"\[outbox\]\.lease"),
        ("[discord]\nprocesses = 0\n", r"\[discord\]\.processes must be between 1 and"),
        ('[discord]\nprocesses = "2"\n', r"\[discord\]\.processes must be a whole number"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), environ={"DISCORD_TOKEN": "t"})


def test_unknown_section_lists_the_sections(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[foo]\nkey = 1\n"), environ={"DISCORD_TOKEN": "t"})
    assert str(info.value) == (
        "Unknown section [foo]; the sections are [discord], [database], [handles], "
        "[inventory], [drops], [relist], [handles.generic], [currency], [bidding], [auctions], "
        "[permissions], [outbox]."
    )


def test_relative_database_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = parse_config({"database": {"path": "db/a.db"}}, base_dir=tmp_path, environ={})
    assert config.database.path == tmp_path / "db" / "a.db"


def test_values_are_parsed(tmp_path: Path) -> None:
    raw = {
        "discord": {"guild_ids": [5], "post_edit_interval": "10s", "audit_channel_id": 9},
        "bidding": {"increment_absolute": 3, "increment_percent": 0, "max_extensions": 4},
        "auctions": {"min_duration": "1s"},
        "permissions": {"moderator_role_ids": [7]},
        "handles": {
            "platform": "generic",
            "generic": {"min_length": 2, "max_length": 5, "characters": "a-z"},
        },
    }
    raw["outbox"] = {"keep_delivered": "90d"}
    raw["discord"]["requests_per_second"] = 25
    raw["discord"]["http_connections"] = 16
    raw["discord"]["processes"] = 3
    raw["outbox"]["lease"] = "2m"
    config = parse_config(raw, base_dir=tmp_path, environ={})
    assert config.discord.processes == 3
    assert config.outbox.lease == timedelta(minutes=2)
    assert config.discord.requests_per_second == 25
    assert config.discord.http_connections == 16
    assert config.outbox.keep_delivered == timedelta(days=90)
    assert config.discord.guild_ids == (5,)
    assert config.discord.post_edit_interval == timedelta(seconds=10)
    assert config.server.audit_channel_id == 9
    assert config.server.auction_channel_id is None
    assert config.server.rules.increment.next_after(100) == 103
    assert config.server.rules.max_extensions == 4
    assert config.server.rules.min_duration == timedelta(seconds=1)
    assert config.server.access.moderator_role_ids == frozenset({7})
    assert config.server.handles.parse("abc").key == "abc"


def test_one_process_and_a_one_minute_lease_by_default(tmp_path: Path) -> None:
    config = parse_config({}, base_dir=tmp_path, environ={})
    assert config.discord.processes == 1
    assert config.outbox.lease == timedelta(seconds=60)
