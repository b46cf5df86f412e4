from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import (
    DEPRECATED_KEYS,
    KNOWN_KEYS,
    ConfigError,
    load_config,
    parse_config,
    with_shards,
)
from bot.domain.payments import MoneyMode

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
        "[inventory], [drops], [relist], [money], [limits], [handles.generic], [currency], "
        "[bidding], [auctions], [permissions], [outbox]."
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
    raw["discord"]["processes"] = 3  # several processes: they share a PostgreSQL database
    raw["database"] = {"url": "postgresql://bot@db.example/auctions"}
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


def test_no_shard_settings_is_the_one_shard_bot(tmp_path: Path) -> None:
    config = parse_config({}, base_dir=tmp_path, environ={})
    assert config.discord.shard_count is None
    assert (config.discord.total_shards, config.discord.shards) == (1, (0,))


@pytest.mark.parametrize(
    ("discord", "count", "shards"),
    [
        ({"shard_count": 4}, 4, (0, 1, 2, 3)),  # no ids: this process runs every shard
        ({"shard_count": 4, "shard_ids": []}, 4, (0, 1, 2, 3)),
        ({"shard_count": 4, "shard_ids": [3, 1]}, 4, (3, 1)),
        ({"shard_count": 1, "shard_ids": [0]}, 1, (0,)),
        ({"shard_ids": []}, 1, (0,)),
    ],
)
def test_shard_settings_are_parsed(
    tmp_path: Path, discord: dict[str, object], count: int, shards: tuple[int, ...]
) -> None:
    config = parse_config({"discord": discord}, base_dir=tmp_path, environ={})
    assert (config.discord.total_shards, config.discord.shards) == (count, shards)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[discord]\nshard_ids = [0, 1]\n",
            r"^\[discord\]\.shard_ids needs a shard count: set \[discord\]\.shard_count too",
        ),
        ("[discord]\nshard_count = 0\n", r"^\[discord\]\.shard_count must be at least 1, not 0"),
        ('[discord]\nshard_count = "2"\n', r"^\[discord\]\.shard_count must be a whole number"),
        ("[discord]\nshard_count = true\n", r"^\[discord\]\.shard_count must be a whole number"),
        (
            "[discord]\nshard_count = 2\nshard_ids = [0, 2]\n",
            r"^\[discord\]\.shard_ids has shard 2, but with \[discord\]\.shard_count = 2 the "
            r"shards are 0 to 1\.$",
        ),
        (
            "[discord]\nshard_count = 2\nshard_ids = [-1]\n",
            r"^\[discord\]\.shard_ids has shard -1",
        ),
        (
            "[discord]\nshard_count = 4\nshard_ids = [1, 2, 1]\n",
            r"^\[discord\]\.shard_ids lists shard 1 more than once\.$",
        ),
        (
            '[discord]\nshard_count = 2\nshard_ids = "0,1"\n',
            r"^\[discord\]\.shard_ids must be a list of shard numbers",
        ),
        (
            "[discord]\nshard_count = 2\nshard_ids = [0, true]\n",
            r"^\[discord\]\.shard_ids must be a list of shard numbers",
        ),
    ],
)
def test_bad_shard_settings_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), environ={"DISCORD_TOKEN": "t"})


def test_command_line_shards_override_the_file(tmp_path: Path) -> None:
    raw = {"discord": {"shard_count": 4, "shard_ids": [0]}}
    config = parse_config(raw, base_dir=tmp_path, environ={})
    assert with_shards(config) == config  # no flags: the file's values
    assert with_shards(config, shard_ids=[2, 3]).discord.shards == (2, 3)
    overridden = with_shards(config, shard_count=8, shard_ids=[7])
    assert (overridden.discord.total_shards, overridden.discord.shards) == (8, (7,))
    # Only the count given: the file's ids stay, checked against the new count.
    assert with_shards(config, shard_count=2).discord.shards == (0,)
    unsharded = parse_config({}, base_dir=tmp_path, environ={})
    assert with_shards(unsharded, shard_count=3).discord.shards == (0, 1, 2)


@pytest.mark.parametrize(
    ("raw", "count", "ids", "message"),
    [
        ({}, None, [0, 1], r"^--shard-ids needs a shard count: set --shard-count too"),
        (
            {"shard_count": 2},
            None,
            [3],
            r"^--shard-ids has shard 3, but with \[discord\]\.shard_count = 2 the shards are",
        ),
        (
            {"shard_count": 4, "shard_ids": [3]},
            2,
            None,
            r"^\[discord\]\.shard_ids has shard 3, but with --shard-count = 2 the shards are",
        ),
        ({"shard_count": 4}, None, [1, 1], r"^--shard-ids lists shard 1 more than once"),
    ],
)
def test_command_line_shards_are_checked_with_the_file(
    tmp_path: Path, raw: dict[str, object], count: int | None, ids: list[int] | None, message: str
) -> None:
    config = parse_config({"discord": raw}, base_dir=tmp_path, environ={})
    with pytest.raises(ConfigError, match=message):
        with_shards(config, shard_count=count, shard_ids=ids)


def test_the_database_is_a_sqlite_file_or_a_postgresql_url(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "t"}
    plain = load_config(write(tmp_path, ""), environ=env).database
    assert (plain.postgres_url, plain.path) == ("", tmp_path / "data" / "auctions.db")
    by_url = load_config(write(tmp_path, '[database]\nurl = "sqlite:///x/a.db"\n'), environ=env)
    assert by_url.database.path == tmp_path / "x" / "a.db"
    assert by_url.database.url == f"sqlite:///{tmp_path / 'x' / 'a.db'}"
    absolute = load_config(
        write(tmp_path, '[database]\nurl = "sqlite:////srv/a.db"\n'), environ=env
    )
    assert absolute.database.path == Path("/srv/a.db")
    pg = "postgresql://bot:pw@db:5432/auctions"
    on_pg = load_config(write(tmp_path, f'[database]\nurl = "{pg}"\npool_size = 4\n'), environ=env)
    assert (on_pg.database.postgres_url, on_pg.database.pool_size) == (pg, 4)
    assert "pw" not in repr(on_pg.database)  # the password stays out of logs
    # DATABASE_URL in the environment wins over the file.
    moved = load_config(
        write(tmp_path, '[database]\npath = "a.db"\n'), environ={**env, "DATABASE_URL": pg}
    )
    assert moved.database.postgres_url == pg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'url = "mysql://db/x"',
            r"\[database\].url must be sqlite:///path/to/auctions.db or postgresql://",
        ),
        ('url = "sqlite:///"', r"must be sqlite:///path/to/auctions.db"),
        ("pool_size = 0", r"\[database\].pool_size"),
        ("pool_size = 500", r"\[database\].pool_size"),
    ],
)
def test_a_bad_database_setting_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, f"[database]\n{text}\n"), environ={"DISCORD_TOKEN": "t"})


def test_a_bad_database_url_in_the_environment_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL must be"):
        load_config(
            write(tmp_path, ""), environ={"DISCORD_TOKEN": "t", "DATABASE_URL": "db.example"}
        )


def test_one_process_and_a_one_minute_lease_by_default(tmp_path: Path) -> None:
    config = parse_config({}, base_dir=tmp_path, environ={})
    assert config.discord.processes == 1
    assert config.outbox.lease == timedelta(seconds=60)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[discord]\nprocesses = 2\n", r"a SQLite file serves one bot process"),
        (
            '[discord]\nprocesses = 30\nrequests_per_second = 20\n[database]\nurl = "postgresql://db/x"\n',
            r"each process needs at least one request a second",
        ),
    ],
)
def test_processes_must_fit_the_store_and_the_budget(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), environ={"DISCORD_TOKEN": "t"})


def test_money_and_trust_tiers_come_from_the_file(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[money]\nmode = "pledge"\npayment_deadline = "2h"\nsecond_chances = 3\n'
            "[limits]\ntiers = [{ amount = 10000, role_id = 55 }, { amount = 500, role_id = 7 }]\n",
        ),
        environ={"DISCORD_TOKEN": "t"},
    )
    payments = config.server.payments
    assert payments.mode is MoneyMode.PLEDGE
    assert payments.payment_deadline == timedelta(hours=2)
    assert payments.second_chances == 3
    assert [(t.amount, t.role_id) for t in config.server.limits.tiers] == [(500, 7), (10000, 55)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[money]\nmode = "cash"\n', "[money].mode must be one of none, wallet, pledge"),
        ('[money]\npayment_deadline = "10s"\n', "[money].payment_deadline must be at least 1m"),
        ("[money]\nsecond_chances = 11\n", "[money].second_chances must be between 0 and 10"),
        ("[limits]\ntiers = [{ amount = 5 }]\n", "[limits].tiers must be a list of tables"),
        (
            "[limits]\ntiers = [{ amount = 0, role_id = 1 }]\n",
            "[limits].tiers amount must be at least 1",
        ),
    ],
)
def test_bad_money_settings_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), environ={"DISCORD_TOKEN": "t"})
    assert message in str(info.value)
