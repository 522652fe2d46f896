"""Issue 8, item 20: Ctrl-C stops `newsbot run` without a `KeyboardInterrupt` traceback.

A terminal's Ctrl-C sends SIGINT to the whole foreground process group: the bot
and its digest worker processes. The bot stops cleanly; the workers must not
print a traceback of their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.factories import make_page_text
from tests.fakebotapi import FakeBotApi


def test_ctrl_c_stops_the_bot_and_its_workers_without_traceback(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(make_page_text(1), encoding="utf-8")
    with FakeBotApi() as api:
        env = {
            **os.environ,
            "NEWSBOT_TELEGRAM_TOKEN": api.token,
            "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
            "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "NEWSBOT_SEEDS_DIR": str(seeds),
            "NEWSBOT_CONFIG": "",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbot", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's job
        )
        try:
            api.wait_until_sync(lambda: api.is_polling, timeout=30)
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
    assert code == 0, err[-3000:]
    assert "stopped cleanly" in err
    assert "KeyboardInterrupt" not in err and "Traceback" not in err, err[-3000:]
