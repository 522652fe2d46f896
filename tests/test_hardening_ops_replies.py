"""Issue 8, item 13: replies to readers are not lost under Telegram's limits.

A reply that meets a 429 waits out ``retry_after`` and is sent (no apology in its
place); network errors and 5xx are retried; quick commands in a group (20 messages
a minute) all get their answers without a single 429; replies share the outbox's
limiter and go before the digest fan-out; the apology is for real errors, once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from newsbot.bot.replies import ReplyLimiter
from newsbot.config import DeliveryConfig
from newsbot.delivery.ratelimit import Rate, RateLimiter, RateLimits
from newsbot.store import Store
from tests.bot_harness import Running, bot_config, fill, running_bot
from tests.factories import make_article
from tests.fakebotapi import FakeBotApi, FloodLimits

READER = 1001
MEMBER = 1002
GROUP = -4001
SORRY = "抱歉"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    # Telegram's flood limits, with a group's made quicker to test: one message per 2 s.
    limits = FloodLimits(group_chat=Rate(1, 2.0))
    with FakeBotApi(flood_limits=limits) as server:
        server.add_private_chat(READER, "李雷", language_code="zh-hans")
        server.add_user(MEMBER, "韩梅梅", language_code="zh-hans")
        server.add_group(GROUP, "读报小组", members={MEMBER: "member"})
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Running]:
    config = bot_config(api, tmp_path, f"sqlite:///{tmp_path / 'replies.db'}")
    # Our group limit a little under the server's: 24.5 a minute is one per 2.45 s.
    config = replace(config, delivery=DeliveryConfig(group_per_minute=24.5))
    store = Store.open(config.database.url)
    fill(store, [make_article(n) for n in range(3)])
    store.close()
    async with running_bot(api, config) as running:
        yield running


async def test_reply_waits_out_a_429_instead_of_apologising(bot: Running) -> None:
    api = bot.api
    api.fail_next("sendMessage", chat_id=READER, error_code=429, retry_after=2)
    started = time.monotonic()
    api.push_message(READER, None, "/latest")
    (reply,) = await api.wait_for(1, chat_id=READER, timeout=15)
    assert time.monotonic() - started >= 2.0  # retry_after waited out, not 18 ms
    assert "最新文章" in reply.plain and SORRY not in reply.plain
    await asyncio.sleep(0.5)
    assert len(api.sent(READER)) == 1  # no apology after it
    refused = [r for r in api.requests("sendMessage") if r.status == 429]
    assert len(refused) == 1


async def test_reply_is_retried_after_network_errors(bot: Running) -> None:
    api = bot.api
    api.fail_next("sendMessage", chat_id=READER, error_code=502, count=2)
    api.push_message(READER, None, "/latest")
    (reply,) = await api.wait_for(1, chat_id=READER, timeout=15)
    assert "最新文章" in reply.plain
    await asyncio.sleep(0.3)
    assert len(api.sent(READER)) == 1


async def test_quick_commands_in_a_group_all_get_answers(bot: Running) -> None:
    api = bot.api
    for _ in range(4):
        api.push_message(GROUP, MEMBER, "/latest")
    replies = await api.wait_for(4, chat_id=GROUP, timeout=30)
    assert all("最新文章" in r.plain for r in replies)
    assert api.throttled(GROUP) == 0  # our limiter kept under Telegram's: no 429 at all
    await asyncio.sleep(0.3)
    assert not any(SORRY in r.plain for r in api.sent(GROUP))


async def test_a_private_reader_is_answered_while_a_group_waits(bot: Running) -> None:
    api = bot.api
    for _ in range(3):
        api.push_message(GROUP, MEMBER, "/latest")
    await api.wait_for(1, chat_id=GROUP, timeout=10)
    started = time.monotonic()
    api.push_message(READER, None, "/latest")
    await api.wait_for(1, chat_id=READER, timeout=10)
    # The group's replies wait for its limit; the private chat is not held behind them.
    assert time.monotonic() - started < 2.0
    await api.wait_for(3, chat_id=GROUP, timeout=30)


async def test_replies_and_the_outbox_share_one_limiter(bot: Running) -> None:
    limiter = bot.app.bot.rate_limiter
    assert isinstance(limiter, ReplyLimiter)
    services = bot.app.bot_data.services
    assert services is not None and services.deliverer is not None
    assert services.deliverer.limiter is limiter.limiter
    assert getattr(services.deliverer.bot, "rate_limiter", None) is None  # not twice


async def test_a_real_error_gets_one_apology(bot: Running) -> None:
    api = bot.api
    api.fail_next("sendMessage", chat_id=READER, error_code=400, description="Bad Request: odd")
    api.push_message(READER, None, "/latest")
    (sorry,) = await api.wait_for(1, chat_id=READER, timeout=10)
    assert SORRY in sorry.plain
    await asyncio.sleep(0.5)
    assert len(api.sent(READER)) == 1


class _Time:
    """A clock whose sleeps end only when the test moves time on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + seconds, future))
        await future

    async def advance(self, to: float) -> None:
        self.now = to
        for deadline, future in list(self.sleepers):
            if deadline <= to and not future.done():
                future.set_result(None)
        for _ in range(10):
            await asyncio.sleep(0)


async def test_an_urgent_send_goes_before_waiting_fanout() -> None:
    clock = _Time()
    limiter = RateLimiter(
        RateLimits(overall=Rate(1, 1.0), private=None, group=None),
        clock=lambda: clock.now,
        sleep=clock.sleep,
    )
    limiter.release(limiter.reserve(1, "group", now=0.0), now=0.0)  # the window is full
    order: list[str] = []

    async def take(name: str, chat: int, urgent: bool) -> None:
        ticket = await limiter.acquire(chat, "group", urgent=urgent)
        order.append(name)
        limiter.release(ticket, now=clock.now)

    fanout = asyncio.create_task(take("digest", 2, False))
    await asyncio.sleep(0)
    reply = asyncio.create_task(take("reply", 3, True))
    await asyncio.sleep(0)
    await clock.advance(1.0)
    assert order == ["reply"]
    await clock.advance(2.0)
    assert order == ["reply", "digest"]
    await asyncio.gather(fanout, reply)
