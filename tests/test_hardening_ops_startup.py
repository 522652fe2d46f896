"""Issue 8, item 17: `newsbot run` meets Telegram's refusals and outages politely.

As a real process against the fake Bot API: a rejected token is one line and exit
2 (the token never printed); a Bot API that cannot be reached yet is retried with
growing pauses until it answers; a second instance polling with the same token
gets a clear message instead of `Conflict` tracebacks; at DEBUG level the token
(which PTB logs inside the Bot API URL) is never written.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import make_page_text
from tests.fakebotapi import FakeBotApi

READER = 5001


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "a.txt").write_text(make_page_text(1), encoding="utf-8")
    return folder


def _env(tmp_path: Path, seeds: Path, token: str, base_url: str, db: str = "run") -> dict[str, str]:
    return {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": token,
        "NEWSBOT_TELEGRAM_BASE_URL": base_url,
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / f'{db}.db'}",
        "NEWSBOT_SEEDS_DIR": str(seeds),
        "NEWSBOT_CONFIG": "",
        "NEWSBOT_LOG_LEVEL": "INFO",
    }


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsbot", *args, "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, then the exit status and stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    _, err = process.communicate()
    return code, err


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_rejected_token_is_one_line_and_exit_2(tmp_path: Path, seeds: Path) -> None:
    with FakeBotApi() as api:
        wrong = "987654:this-secret-is-wrong"
        process = subprocess.run(
            [sys.executable, "-m", "newsbot", "run"],
            env=_env(tmp_path, seeds, wrong, api.base_url),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert process.returncode == 2, process.stderr
    output = process.stdout + process.stderr
    assert "this-secret-is-wrong" not in output and wrong not in output
    assert "Traceback" not in output
    errors = [line for line in process.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "rejected the bot token" in errors[0], process.stderr
    assert "NEWSBOT_TELEGRAM_TOKEN" in errors[0]
    assert len(process.stderr.splitlines()) < 10, process.stderr


def test_unreachable_bot_api_is_retried_until_it_answers(
    tmp_path: Path, seeds: Path, processes: list[subprocess.Popen[str]]
) -> None:
    port = _free_port()
    api = FakeBotApi(port=port)
    base_url = f"http://127.0.0.1:{port}/bot"
    log = tmp_path / "stderr.log"
    # -v: DEBUG logging, where PTB writes the Bot API URL, token included.
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbot", "-v", "run"],
            env=_env(tmp_path, seeds, api.token, base_url),
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )
    processes.append(process)
    # Nothing listens yet: the bot keeps trying, with growing pauses, and says so.
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and process.poll() is None:
        if log.read_text().count("cannot reach the Telegram Bot API") >= 3:
            break
        time.sleep(0.2)
    assert process.poll() is None, log.read_text()[-3000:]
    assert log.read_text().count("cannot reach the Telegram Bot API") >= 3
    with api:
        api.add_private_chat(READER, "读者", language_code="zh-hans")
        api.wait_until_sync(lambda: api.is_polling, timeout=40)
        api.push_message(READER, None, "/latest")
        (reply,) = api.wait_for_sync(1, chat_id=READER, timeout=15)
        assert "第1号测试新闻" in reply.plain
        code, _ = _stop(process)
    err = log.read_text()
    assert code == 0, err[-3000:]
    assert api.token not in err and api.token.split(":")[1] not in err
    retries = re.findall(r"cannot reach the Telegram Bot API.*retrying in (\d+(?:\.\d+)?) s", err)
    assert len(retries) >= 2, err[-3000:]
    pauses = [float(p) for p in retries]
    assert pauses == sorted(pauses) and pauses[-1] > pauses[0]  # backoff
    assert "Traceback" not in err


def test_second_instance_gets_a_clear_conflict_message(
    tmp_path: Path, seeds: Path, processes: list[subprocess.Popen[str]]
) -> None:
    with FakeBotApi() as api:
        first = _start(_env(tmp_path, seeds, api.token, api.base_url, "first"))
        processes.append(first)
        api.wait_until_sync(lambda: api.is_polling, timeout=30)
        second = _start(_env(tmp_path, seeds, api.token, api.base_url, "second"))
        processes.append(second)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            conflicts = [r for r in api.requests("getUpdates") if r.status == 409]
            if len(conflicts) >= 6:
                break
            time.sleep(0.2)
        assert len(conflicts) >= 6
        time.sleep(1)
        results = [_stop(first), _stop(second)]
    for code, err in results:
        assert code == 0, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        assert api.token not in err
    messages = [
        line
        for _, err in results
        for line in err.splitlines()
        if "another process is polling Telegram with this bot token" in line
    ]
    assert messages, [err[-2000:] for _, err in results]
    # Said once per instance, not once per 409.
    assert all(err.count("another process is polling") <= 1 for _, err in results)


def test_polling_trouble_says_each_kind_once_per_window(caplog: pytest.LogCaptureFixture) -> None:
    from telegram.error import Conflict, NetworkError

    from newsbot.bot.startup import Backoff, PollingTrouble

    now = [0.0]
    trouble = PollingTrouble(conflict_repeat=600, network_repeat=60, clock=lambda: now[0])
    conflict = Conflict("terminated by other getUpdates request")
    with caplog.at_level("WARNING", logger="newsbot.bot.startup"):
        for _ in range(5):
            trouble.report(conflict, "127.0.0.1:1")
            trouble.report(NetworkError("httpx.ConnectError: refused"), "127.0.0.1:1")
            now[0] += 1
        now[0] += 600
        trouble.report(conflict, "127.0.0.1:1")
    lines = [r.getMessage() for r in caplog.records]
    assert sum("another process is polling" in line for line in lines) == 2
    assert "(4 more since the last report)" in lines[-1]
    assert sum("lost the connection" in line for line in lines) == 1
    assert all(r.exc_info is None for r in caplog.records)
    assert [Backoff(1, 60).pause(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
