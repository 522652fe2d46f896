"""`newsbot run` as a real process: answers readers, logs without the token, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.factories import make_page_text
from tests.fakebotapi import FakeBotApi

READER = 5001


def test_run_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(make_page_text(1), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text("[seeds]\ningest_interval_minutes = 0.02\n")  # every 1.2 s
    with FakeBotApi() as api:
        api.add_private_chat(READER, "读者", language_code="zh-hans")
        env = {
            **os.environ,
            "NEWSBOT_TELEGRAM_TOKEN": api.token,
            "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
            "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "NEWSBOT_SEEDS_DIR": str(seeds),
            "NEWSBOT_CONFIG": str(config),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbot", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            api.wait_until_sync(lambda: api.is_polling, timeout=30)
            assert dict(api.commands("default", ""))["latest"] == "最新文章"
            api.push_message(READER, None, "/latest")
            (reply,) = api.wait_for_sync(1, chat_id=READER, timeout=15)
            assert "第1号测试新闻" in reply.plain
            # A file a scraper drops into the seed store reaches readers without a restart.
            (seeds / "b.txt").write_text(make_page_text(2), encoding="utf-8")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                before = len(api.sent(READER))
                api.push_message(READER, None, "/latest")
                answer = api.wait_for_sync(before + 1, chat_id=READER, timeout=15)[-1]
                if "第2号测试新闻" in answer.plain:
                    break
                time.sleep(0.5)
            assert "第2号测试新闻" in answer.plain
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
        _, err = process.communicate()
    assert code == 0, err
    assert time.monotonic() - started < 20
    assert api.token not in err
    assert "ingest: 1 files, 1 new" in err
    assert "update 1 chat=5001" in err and "/latest" in err
    assert "stopped cleanly" in err
