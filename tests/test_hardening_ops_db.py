"""Issue 8, item 18: a database that cannot be used is one line on stderr and exit 3.

A corrupt SQLite file, a path that cannot be created, a folder where the file
should be: every command that needs the database says so in one line (no
traceback, no password of a database URL) and exits with status 3, as the
README promises.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsbot.cli import cli
from tests.broken_databases import BROKEN_SQLITE
from tests.factories import make_page_text

BROKEN = BROKEN_SQLITE

COMMANDS = [
    ["latest"],
    ["ingest"],
    ["search", "测试"],
    ["tags"],
    ["show", "abc"],
    ["subs", "list"],
    ["subs", "add", "--", "-1001", "#测试"],
    ["digest", "--preview"],
    ["db", "upgrade"],
    ["run"],
]


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "a.txt").write_text(make_page_text(1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("broken", list(BROKEN))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_database_errors_are_one_line_and_exit_3(
    tmp_path: Path, seeds: Path, broken: str, command: list[str]
) -> None:
    url = BROKEN[broken](tmp_path)
    env = {
        "NEWSBOT_DATABASE_URL": url,
        "NEWSBOT_SEEDS_DIR": str(seeds),
        "NEWSBOT_CONFIG": "",
        # `run` must fail on the database before it ever talks to Telegram.
        "NEWSBOT_TELEGRAM_TOKEN": "123456:not-a-real-token",
        "NEWSBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
    }
    result = CliRunner().invoke(cli, command, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 3, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: database: "), result.stderr
    assert "Traceback" not in result.output
    assert "sqlalche.me" not in result.stderr  # SQLAlchemy's "Background on this error" link
    assert "not-a-real-token" not in result.output


def test_database_password_is_not_printed(tmp_path: Path) -> None:
    env = {
        # Nothing listens on port 9: the connection is refused at once.
        "NEWSBOT_DATABASE_URL": "postgresql+psycopg://newsbot:s3cret-pw@127.0.0.1:9/newsbot",
        "NEWSBOT_CONFIG": "",
    }
    result = CliRunner().invoke(cli, ["latest"], env=env)
    assert result.exit_code == 3, result.output
    assert "s3cret-pw" not in result.output
    assert result.stderr.startswith("error: database: ") and result.stderr.count("\n") == 1
