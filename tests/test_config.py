"""Configuration: defaults, the example file, environment overrides, clear errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from newsbot.config import Config, DatabaseConfig, load_config
from newsbot.errors import ConfigError
from newsbot.models import SourceSpec
from tests.conftest import REPO


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config == Config()
    assert config.database.url.startswith("sqlite:///")
    assert config.bot.timezone == "Asia/Shanghai"


def test_example_file_loads_and_equals_defaults() -> None:
    config = load_config(REPO / "config.example.toml", env={})
    # Relative paths of a file are relative to its folder (issue 8, item 19).
    defaults = Config()
    assert config == replace(
        defaults,
        database=DatabaseConfig(url=f"sqlite:///{REPO / 'data' / 'newsbot.db'}"),
        seeds=replace(defaults.seeds, dir=str(REPO / "seeds")),
    )


def test_example_documents_every_key() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    for section, cls_fields in Config.__dataclass_fields__.items():
        if section in ("source", "sources"):
            continue
        assert f"[{section}]" in text
        for key in cls_fields.default_factory().__dataclass_fields__:  # type: ignore[misc]
            assert f"\n{key} = " in text, f"{section}.{key} missing from config.example.toml"
    assert "[[sources]]" in text
    for key in SourceSpec.__dataclass_fields__:
        assert f"\n# {key} = " in text, f"sources.{key} missing from config.example.toml"


def test_sources_tables_become_specs(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text(
        '[[sources]]\nname = "city"\nurl = "https://news.example.org/rss"\n'
        'tags = ["本地", "#城市"]\ninterval_minutes = 15\n'
        '[[sources]]\nname = "list"\nurl = "https://example.org/news/"\nkind = "list"\n'
        'pattern = "/news/2024"\nfull_page = true\n',
        encoding="utf-8",
    )
    config = load_config(file, env={})
    assert config.sources == (
        SourceSpec(
            "city", "https://news.example.org/rss", interval_minutes=15, tags=("本地", "城市")
        ),
        SourceSpec("list", "https://example.org/news/", kind="list", pattern="/news/2024"),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[sources]]\nurl = "https://a.org/"\n', "name is required"),
        ('[[sources]]\nname = "a"\nurl = "ftp://a.org/"\n', "must be http"),
        ('[[sources]]\nname = "a"\nurl = "https://a.org/"\nkind = "list"\n', "link pattern"),
        ('[[sources]]\nname = "a"\nurl = "https://a.org/"\nevery = 3\n', "unknown key every"),
        ('[[sources]]\nname = "a"\nurl = "https://a.org/"\ninterval_minutes = 0\n', "interval"),
        (
            '[[sources]]\nname = "a"\nurl = "https://a.org/"\n'
            '[[sources]]\nname = "a"\nurl = "https://b.org/"\n',
            "defined twice",
        ),
        ("[fetch]\nmax_page_mb = 0\n", "fetch.max_page_mb"),
    ],
)
def test_bad_sources_are_named(tmp_path: Path, body: str, message: str) -> None:
    file = tmp_path / "c.toml"
    file.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(file, env={})


def test_env_overrides_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[database]\nurl = "sqlite:///x.db"\n[telegram]\ntoken = "file"\n')
    config = load_config(
        file,
        env={
            "NEWSBOT_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "NEWSBOT_TELEGRAM_TOKEN": "123:abc",
            "NEWSBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "NEWSBOT_ADMINS": "1, 2",
        },
    )
    assert config.database.url == "postgresql+psycopg://u@h/db"
    assert config.telegram.token == "123:abc"
    assert config.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert config.bot.admins == (1, 2)


def test_config_from_env_variable(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[seeds]\ndir = "elsewhere"\n')
    assert load_config(env={"NEWSBOT_CONFIG": str(file)}).seeds.dir == str(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[database]\nurl = 5\n", "database.url must be a string"),
        ('[database]\nurl = "mysql://x"\n', "database.url"),
        ('[seeds]\nmax_file_mb = "big"\n', "seeds.max_file_mb must be a number"),
        ("[seeds]\nmax_file_mb = 0\n", "seeds.max_file_mb must be greater than 0"),
        ('[bot]\ntimezone = "Mars/Olympus"\n', "bot.timezone"),
        ('[bot]\nadmins = ["alice"]\n', "bot.admins must be a list"),
        ('[bot]\ncolour = "red"\n', "unknown key bot.colour"),
        ("[robot]\n", "unknown section [robot]"),
        ("[bot\n", "not valid TOML"),
    ],
)
def test_invalid_config_names_key(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_config(file, env={})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


def test_bad_env_value() -> None:
    with pytest.raises(ConfigError, match="NEWSBOT_ADMINS"):
        load_config(env={"NEWSBOT_ADMINS": "alice"})
