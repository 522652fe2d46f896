"""A digest worker process that dies is replaced; scheduled digests go on."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsbot.config import Config, DatabaseConfig
from newsbot.digest.builder import DigestBuilder
from newsbot.digest.workers import DigestWorkers
from newsbot.models import SubscriptionSpec
from newsbot.render import Renderer
from newsbot.store import Store
from newsbot.store.subscriptions import Actor
from tests.factories import fill, make_article

NOW = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)


async def test_a_killed_worker_is_replaced_and_the_build_retried(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(sqlite_url)
    fill(store, [make_article(n) for n in range(3)])
    subs = [
        store.subscriptions.create(
            chat_id=100 + i,
            chat_type="private",
            chat_title=f"reader {i}",
            spec=SubscriptionSpec(),
            language="zh",
            actor=Actor(100 + i, f"reader {i}"),
            now=NOW - timedelta(days=1),
        )
        for i in range(3)
    ]
    config = Config(database=DatabaseConfig(url=sqlite_url))
    workers = DigestWorkers(config, DigestBuilder(store, Renderer(ZoneInfo("Asia/Shanghai"))), 1)
    loop = asyncio.get_running_loop()
    try:
        await workers.warm_up()
        first = await workers.build(subs[0], NOW, "scheduled", NOW, None)
        assert first is not None and first.items == 3

        assert workers._pool is not None
        pid = await loop.run_in_executor(workers._pool, os.getpid)
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.5)  # the pool notices its worker is gone

        with caplog.at_level(logging.WARNING, logger="newsbot.digest.workers"):
            records = await asyncio.gather(
                *(workers.build(sub, NOW, "scheduled", NOW, None) for sub in subs[1:])
            )
        assert [r.items if r else None for r in records] == [3, 3]
        assert "pool rebuilt" in caplog.text
        later = NOW + timedelta(days=1)
        again = await workers.build(subs[0], later, "scheduled", later, None)
        assert again is not None  # the new pool keeps working
    finally:
        workers.close()
        store.close()
