"""Issue 8, items 18 and 20: `python -m newsbot.delivery.main` says what is wrong with the
database in one line and exits 3, as `newsbot` does (a corrupt SQLite file, a path
that cannot be created, an unreachable PostgreSQL server), with no traceback and no
password of the database URL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.broken_databases import BROKEN_SQLITE

ROOT = Path(__file__).resolve().parents[1]





def _unwritable(tmp_path: Path) -> str:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return f"sqlite:///{folder / 'newsbot.db'}"


def _unreachable_postgres(tmp_path: Path) -> str:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://newsbot:s3cret-pw@127.0.0.1:{port}/newsbot?connect_timeout=3"


BROKEN = {
    **BROKEN_SQLITE,
    "unwritable folder": _unwritable,
    "unreachable postgresql": _unreachable_postgres,
}


@pytest.mark.parametrize("kind", BROKEN)
def test_a_database_that_cannot_be_used_is_one_line_and_exit_3(kind: str, tmp_path: Path) -> None:
    if kind == "unwritable folder" and os.geteuid() == 0:
        pytest.skip("root writes into any folder")
    url = BROKEN[kind](tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "newsbot.delivery.main", "--db", url, "--timeout", "5"],
        env={**os.environ, "NEWSBOT_TELEGRAM_TOKEN": "123456:TEST-token-not-used"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 3, done.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: database: "), done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "s3cret-pw" not in done.stderr
