"""Issue 8, item 19: relative paths in a config file resolve against the file's folder.

`newsbot --config other/config.toml run` must use `other/data/…`, `other/seeds`,
`other/templates`, not folders of whatever directory the command runs in. Paths
from the environment or the defaults stay relative to the working directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsbot.cli import cli
from newsbot.config import load_config
from tests.factories import make_page_text

CONFIG = """\
[database]
url = "sqlite:///data/newsbot.db"
[seeds]
dir = "seeds"
[bot]
templates_dir = "my templates"
"""


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file in tmp/other/ and a working directory elsewhere (tmp/cwd/)."""
    other = tmp_path / "other"
    (other / "seeds").mkdir(parents=True)
    (other / "seeds" / "a.txt").write_text(make_page_text(1), encoding="utf-8")
    (other / "my templates").mkdir()
    (other / "config.toml").write_text(CONFIG, encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return other


def test_relative_paths_of_a_config_file_resolve_against_its_folder(deployment: Path) -> None:
    config = load_config(Path("..") / "other" / "config.toml", env={})
    assert config.database.url == f"sqlite:///{deployment.resolve() / 'data' / 'newsbot.db'}"
    assert Path(config.seeds.dir) == deployment.resolve() / "seeds"
    assert Path(config.bot.templates_dir) == deployment.resolve() / "my templates"


def test_config_named_by_environment_variable_too(deployment: Path) -> None:
    config = load_config(env={"NEWSBOT_CONFIG": "../other/config.toml"})
    assert Path(config.seeds.dir) == deployment.resolve() / "seeds"


def test_absolute_and_non_file_values_are_kept(deployment: Path, tmp_path: Path) -> None:
    file = deployment / "abs.toml"
    file.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/x.db?timeout=5"\n[seeds]\ndir = "{tmp_path}"\n'
    )
    config = load_config(file, env={})
    assert config.database.url == f"sqlite:///{tmp_path}/x.db?timeout=5"
    assert config.seeds.dir == str(tmp_path)
    assert config.bot.templates_dir == ""  # empty means "the shipped templates"
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u:p@h/db"):
        file.write_text(f'[database]\nurl = "{url}"\n')
        assert load_config(file, env={}).database.url == url


def test_relative_sqlite_url_keeps_its_query(deployment: Path) -> None:
    file = deployment / "q.toml"
    file.write_text('[database]\nurl = "sqlite:///db/x.db?timeout=5"\n')
    url = load_config(file, env={}).database.url
    assert url == f"sqlite:///{deployment.resolve() / 'db' / 'x.db'}?timeout=5"


def test_environment_and_defaults_stay_relative_to_the_working_directory(
    deployment: Path,
) -> None:
    env = {"NEWSBOT_SEEDS_DIR": "here", "NEWSBOT_DATABASE_URL": "sqlite:///here.db"}
    config = load_config(deployment / "config.toml", env=env)
    assert config.seeds.dir == "here" and config.database.url == "sqlite:///here.db"
    only_token = deployment / "token.toml"
    only_token.write_text('[telegram]\ntoken = "1:x"\n')
    config = load_config(only_token, env={})
    assert config.database.url == "sqlite:///data/newsbot.db" and config.seeds.dir == "seeds"


def test_cli_with_config_elsewhere_uses_its_database(deployment: Path) -> None:
    env = {"NEWSBOT_CONFIG": "", "NEWSBOT_TELEGRAM_TOKEN": ""}
    for var in ("NEWSBOT_DATABASE_URL", "NEWSBOT_SEEDS_DIR", "NEWSBOT_TEMPLATES_DIR"):
        env[var] = None  # type: ignore[assignment]  # CliRunner: None unsets the variable
    args = ["--config", "../other/config.toml"]
    result = CliRunner().invoke(cli, [*args, "ingest", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"] == 1
    result = CliRunner().invoke(cli, [*args, "latest"], env=env)
    assert result.exit_code == 0 and "第1号测试新闻" in result.stdout
    assert (deployment / "data" / "newsbot.db").is_file()
    assert not Path("data").exists()  # nothing created in the working directory
