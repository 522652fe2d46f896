"""Issue 8, item 20: Ctrl-C stops worker pools without a `KeyboardInterrupt` traceback.

A terminal's Ctrl-C sends SIGINT to the whole foreground process group: the parent
and its worker processes. Workers ignore it (their pool's initializer); the parent
stops them and says so in one line. Here `newsbot ingest --workers 2`, and the digest
worker pool, including a pool rebuilt after its worker died.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from newsbot.store import Store
from tests.factories import make_page_text

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _interrupt(
    process: subprocess.Popen[str], timeout: float = 60, *, send: bool = True
) -> tuple[int, str, str]:
    try:
        if send:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    out, err = process.communicate()
    return code, out, err


def test_ctrl_c_stops_a_parallel_ingest_with_one_line_and_exit_130(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(3000):  # enough parsing to be well under way when Ctrl-C comes
        (seeds / f"{n:05d}.txt").write_text(make_page_text(n, extra=f"编号{n}。"), "utf-8")
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'ingest.db'}",
        "NEWSBOT_CONFIG": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot", "ingest", "--workers", "2", "--no-progress", str(seeds)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
    )
    _wait_for(lambda: len(_children(process.pid)) >= 2, 60, "the ingest workers")
    # The workers parse the first batch; the parent then waits for the database (held
    # here), so Ctrl-C finds the workers idle, waiting for work: where an interrupt
    # used to print a traceback from each of them.
    holder = sqlite3.connect(tmp_path / "ingest.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        time.sleep(2)
        assert process.poll() is None, "the ingest ended before Ctrl-C"
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
        time.sleep(1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    code, _, err = _interrupt(process, send=False)
    assert code == 130, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
    assert err.strip().splitlines()[-1] == "interrupted", err[-3000:]


_DIGEST_POOL = """
import os, signal, sys, time, asyncio
from datetime import UTC, datetime
from newsbot.config import load_config
from newsbot.digest.workers import DigestWorkers
from newsbot.store import Store

config = load_config(None)
workers = DigestWorkers(config, None, 1)
asyncio.run(workers.warm_up())
(first,) = workers._pool._processes  # the worker dies: the next build rebuilds the pool
os.kill(first, signal.SIGKILL)
time.sleep(0.5)
now = datetime.now(UTC)
asyncio.run(workers.build(type("Sub", (), {"id": 999})(), now, "scheduled", now, None))
try:
    print("rebuilt", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    workers.close()
    print("stopped", file=sys.stderr)
"""


def test_ctrl_c_reaches_no_digest_worker_even_in_a_rebuilt_pool(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'digests.db'}"
    Store.open(database).close()  # migrated before the workers open it
    env = {**os.environ, "NEWSBOT_DATABASE_URL": database, "NEWSBOT_CONFIG": ""}
    process = subprocess.Popen(
        [sys.executable, "-c", _DIGEST_POOL],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "rebuilt\n", process.communicate()[1][-3000:]
    time.sleep(1)  # the worker is back waiting for work
    code, _, err = _interrupt(process)
    assert code == 0, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
    assert err.strip().splitlines()[-1] == "stopped", err[-3000:]
