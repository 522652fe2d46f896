"""The shared send budget: its three backends, limiters sharing one, the configuration.

Every backend runs the same tests: memory, the database (SQLite, and PostgreSQL when
``NEWSBOT_TEST_POSTGRES_URL`` is set) and Redis (when ``NEWSBOT_TEST_REDIS_URL`` is
set; each test uses keys of its own and deletes only those).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import telegram

from newsbot.config import Config, DeliveryConfig, TelegramConfig, load_config
from newsbot.delivery.budget import (
    DatabaseBudget,
    MemoryBudget,
    RedisBudget,
    build_limiter,
    redis_prefix,
    shared_budget,
)
from newsbot.delivery.ratelimit import OVERALL_KEY, Claim, Rate, RateLimiter, RateLimits, chat_key
from newsbot.delivery.sender import Deliverer, DeliveryLimits
from newsbot.errors import ConfigError
from newsbot.store import Store
from newsbot.store.budget import window_wait
from tests.bot_harness import bot_config, running_bot
from tests.fakebotapi import FakeBotApi, FloodLimits
from tests.fakebotapi import Rate as ServerRate
from tests.test_delivery import Factory
from tests.test_ratelimit import FakeTime

REDIS_ENV = "NEWSBOT_TEST_REDIS_URL"
BACKENDS = ["memory", "sqlite", "postgresql", "redis"]


@dataclass
class Backend:
    """One budget under test, and a way to read back the stamps of a window."""

    name: str
    budget: MemoryBudget | DatabaseBudget | RedisBudget
    stamps: Callable[[str], object]
    others: list[Store] = field(default_factory=list)  # closed by the fixture

    def another(self) -> MemoryBudget | DatabaseBudget | RedisBudget:
        """A second handle on the same budget, as another process would hold."""
        if isinstance(self.budget, RedisBudget):
            return RedisBudget(aioredis.Redis.from_url(os.environ[REDIS_ENV]), self.budget.prefix)
        if isinstance(self.budget, DatabaseBudget):  # an engine, a pool of its own
            url = self.budget.store.engine.url.render_as_string(hide_password=False)
            self.others.append(Store.open(url))
            return DatabaseBudget(self.others[-1].budget)
        return self.budget


def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(
            f"Redis tests need {REDIS_ENV} (set by .ci/run), e.g. redis://127.0.0.1:6379/15"
        )
    return url


async def drop_prefix(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    name: str = request.param
    if name == "memory":
        memory = MemoryBudget()
        yield Backend(name, memory, memory.stamps)
    elif name == "redis":
        url = redis_url()
        prefix = f"newsbot-test:{uuid.uuid4().hex}:"
        budget = RedisBudget(aioredis.Redis.from_url(url), prefix)
        client = aioredis.Redis.from_url(url)

        async def zstamps(key: str) -> list[float]:
            return [score for _, score in await client.zrange(prefix + key, 0, -1, withscores=True)]

        try:
            yield Backend(name, budget, zstamps)
        finally:
            await budget.aclose()
            await client.aclose()
            await drop_prefix(url, prefix)
    else:
        if name == "sqlite":
            url = f"sqlite:///{tmp_path / 'budget.db'}"
        else:
            url = request.getfixturevalue("postgres_url")
        store = Store.open(url)
        store.budget.clear()
        made = Backend(name, DatabaseBudget(store.budget), store.budget.stamps)
        try:
            yield made
        finally:
            for other in made.others:
                other.close()
            store.close()


async def stamps_of(backend: Backend, key: str) -> list[float]:
    found = backend.stamps(key)
    if asyncio.iscoroutine(found):
        found = await found
    assert isinstance(found, list)
    return sorted(found)


# ------------------------------------------------------------------- the pure rule


def test_window_wait_counts_ended_sends_and_sends_in_flight() -> None:
    assert window_wait([], 2, 1.0, 0, now=10.0) == 0.0
    assert window_wait([9.5], 2, 1.0, 0, now=10.0) == 0.0
    assert window_wait([9.5, 9.8], 2, 1.0, 0, now=10.0) == pytest.approx(0.5)
    assert window_wait([8.0, 9.8], 2, 1.0, 0, now=10.0) == 0.0  # 8.0 has left
    # in flight (stamped in the future): frees its place a period after it ends
    assert window_wait([9.5, 40.0], 2, 1.0, 0, now=10.0) == pytest.approx(0.5)
    assert window_wait([40.0, 41.0], 2, 1.0, 0, now=10.0) == pytest.approx(1.0)
    # keep: an ordinary send leaves a place for an urgent one
    assert window_wait([9.5], 2, 1.0, 1, now=10.0) == pytest.approx(0.5)
    assert window_wait([], 1, 1.0, 1, now=10.0) == pytest.approx(1.0)


# --------------------------------------------------------------- every backend


ONE_PER_SECOND = Claim(OVERALL_KEY, Rate(1, 1.0))


async def test_take_reserves_in_every_window_at_once_or_not_at_all(backend: Backend) -> None:
    budget = backend.budget
    chat = Claim(chat_key(5), Rate(1, 60.0))
    assert await budget.take("a", [ONE_PER_SECOND, chat], [], hold=30.0) == 0
    # the overall window is full with "a" in flight: at least a period to wait
    assert await budget.take("b", [ONE_PER_SECOND], [], hold=30.0) >= 1.0 - 1e-6
    await budget.settle("a", [OVERALL_KEY, chat_key(5)])
    overall = await stamps_of(backend, OVERALL_KEY)
    assert len(overall) == 1 and overall == await stamps_of(backend, chat_key(5))
    wait = await budget.take("c", [ONE_PER_SECOND], [], hold=30.0)
    assert 0.5 < wait <= 1.0
    await asyncio.sleep(wait + 0.02)
    # the overall window has room again, chat 5's has none: "d" takes neither
    assert await budget.take("d", [ONE_PER_SECOND, chat], [], hold=30.0) > 50
    assert len(await stamps_of(backend, OVERALL_KEY)) == 0
    assert await budget.take("e", [ONE_PER_SECOND], [], hold=30.0) == 0


async def test_a_place_in_flight_lasts_no_longer_than_its_hold(backend: Backend) -> None:
    budget = backend.budget
    window = Claim(OVERALL_KEY, Rate(1, 0.3))
    assert await budget.take("lost", [window], [], hold=0.2) == 0  # never settled
    assert await budget.take("next", [window], [], hold=0.2) > 0
    await asyncio.sleep(0.55)  # the hold, then the period
    assert await budget.take("next", [window], [], hold=0.2) == 0


async def test_pauses_only_grow_and_hold_their_keys(backend: Backend) -> None:
    budget = backend.budget
    free = Claim(OVERALL_KEY, Rate(100, 1.0))
    await budget.pause(chat_key(7), 0.6)
    await budget.pause(chat_key(7), 0.1)  # shorter: the first pause stands
    wait = await budget.take("a", [free], [OVERALL_KEY, chat_key(7)], hold=30.0)
    assert 0.4 < wait <= 0.6
    assert await budget.take("b", [free], [OVERALL_KEY, chat_key(8)], hold=30.0) == 0
    await budget.pause(OVERALL_KEY, 0.3)
    assert 0.1 < await budget.take("c", [free], [OVERALL_KEY, chat_key(8)], hold=30.0) <= 0.3
    await asyncio.sleep(0.65)
    assert await budget.take("d", [free], [OVERALL_KEY, chat_key(7)], hold=30.0) == 0


async def test_two_limiters_on_one_budget_never_exceed_a_window(backend: Backend) -> None:
    rate = Rate(30, 1.0)
    limits = RateLimits(overall=rate, private=None, group=None)
    limiters = [
        RateLimiter(limits, shared=backend.budget),
        RateLimiter(limits, shared=backend.another()),
    ]
    starts: list[float] = []

    async def worker(limiter: RateLimiter, chats: Sequence[int]) -> None:
        for chat in chats:
            async with limiter.slot(chat, "private"):
                starts.append(time.monotonic())
                await asyncio.sleep(0.005)  # the request

    began = time.monotonic()
    await asyncio.gather(
        *(worker(limiter, range(w * 100, w * 100 + 10)) for w in range(3) for limiter in limiters)
    )
    elapsed = time.monotonic() - began
    for limiter in limiters:
        await limiter.settled()
    assert len(starts) == 60
    starts.sort()
    for i, start in enumerate(starts):
        # a send's place is taken before it starts and counts a period after it ends
        within = sum(1 for s in starts[i:] if s < start + rate.period - 0.005)
        assert within <= rate.count, f"{within} sends started within one period"
    assert elapsed >= 1.0  # 60 sends at 30/s: the second 30 waited for the first
    if backend.budget is not limiters[1].shared:
        await limiters[1].aclose()


async def test_a_pause_by_one_limiter_stops_the_other(backend: Backend) -> None:
    limits = RateLimits(overall=Rate(100, 1.0), private=Rate(100, 1.0), group=None)
    first = RateLimiter(limits, shared=backend.budget)
    second = RateLimiter(limits, shared=backend.another())
    first.pause(0.5)  # after a 429 met by the first
    first.pause_chat(9, 0.8)
    await first.settled()
    began = time.monotonic()
    async with second.slot(1, "private"):
        assert time.monotonic() - began >= 0.45
    async with second.slot(9, "private"):
        assert time.monotonic() - began >= 0.75
    await second.settled()
    if backend.budget is not second.shared:
        await second.aclose()


# ------------------------------------------------------------- the limiter's side




class FlakyBudget(MemoryBudget):
    """A budget whose server does not answer the first ``failures`` times."""

    def __init__(self, clock: Callable[[], float], failures: int) -> None:
        super().__init__(clock)
        self.failures = failures

    async def take(
        self, claim: str, claims: Sequence[Claim], pauses: Sequence[str], hold: float
    ) -> float:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("connection refused")
        return await super().take(claim, claims, pauses, hold)


async def test_the_waiting_is_the_limiters_and_runs_on_its_clock() -> None:
    fake = FakeTime()
    budget = MemoryBudget(fake)
    limits = RateLimits(overall=Rate(2, 1.0), private=None, group=None)
    a = RateLimiter(limits, clock=fake, sleep=fake.sleep, shared=budget)
    b = RateLimiter(limits, clock=fake, sleep=fake.sleep, shared=budget)
    a.release(await a.acquire(1, "private"))
    a.release(await a.acquire(2, "private"))
    await a.settled()
    # b's own windows are empty: the shared one makes it wait for a's sends to leave it
    b.release(await b.acquire(3, "private"))
    await b.settled()
    assert fake.sleeps == [pytest.approx(1.0)]
    assert budget.stamps(OVERALL_KEY) == [pytest.approx(101.0)]  # a's two have left


async def test_an_unanswering_budget_holds_sends_back_and_then_lets_them_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeTime()
    limiter = RateLimiter(
        RateLimits.telegram(), clock=fake, sleep=fake.sleep, shared=FlakyBudget(fake, 2)
    )
    limiter.release(await limiter.acquire(1, "private"))
    assert fake.sleeps == [1.0, 1.0]
    assert "does not answer" in caplog.text and "answers again" in caplog.text


async def test_a_place_not_given_by_the_budget_is_given_back_locally() -> None:
    fake = FakeTime()
    budget = MemoryBudget(fake)
    await budget.pause(OVERALL_KEY, 5.0)
    limiter = RateLimiter(
        RateLimits(overall=Rate(1, 1.0), private=None, group=None),
        clock=fake,
        sleep=fake.sleep,
        shared=budget,
    )
    ticket = await limiter.acquire(1, "private")
    assert fake.sleeps == [pytest.approx(5.0)]  # the other process's pause, in full
    assert ticket.claim and ticket.shared_keys == (OVERALL_KEY,)
    limiter.release(ticket)
    assert limiter.delay(2, "private") == pytest.approx(1.0)  # one send counted, not two


# ------------------------------------------------------------- configuration


def config_with(shared_limits: str) -> Config:
    return Config(
        delivery=DeliveryConfig(shared_limits=shared_limits),
        telegram=TelegramConfig(token="123456:secret"),
    )


def test_shared_limits_are_chosen_by_configuration(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        limits = RateLimits.telegram()
        assert build_limiter(config_with("auto"), store, limits).shared is None  # SQLite
        assert build_limiter(config_with("none"), store, limits).shared is None
        database = build_limiter(config_with("database"), store, limits).shared
        assert isinstance(database, DatabaseBudget) and database.store is store.budget
        redis = build_limiter(config_with("redis://127.0.0.1:6379/0"), store, limits).shared
        assert isinstance(redis, RedisBudget) and redis.prefix == "newsbot:123456:budget:"
        assert isinstance(shared_budget("auto", "postgresql", store.budget, "p:"), DatabaseBudget)
    finally:
        store.close()
    assert redis_prefix("123456:secret") == "newsbot:123456:budget:"
    with pytest.raises(ConfigError):
        shared_budget("memcached://x", "sqlite", None, "p:")


def test_shared_limits_in_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.toml
    path = tmp_path / "budget.toml"
    path.write_text('[delivery]\nshared_limits = "redis://127.0.0.1:6379/0"\n', encoding="utf-8")
    assert load_config(path, env={}).delivery.shared_limits == "redis://127.0.0.1:6379/0"
    assert load_config(None, env={}).delivery.shared_limits == "auto"
    path.write_text('[delivery]\nshared_limits = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="shared_limits"):
        load_config(path, env={})


# ------------------------------------------------- two deliverers, one Bot API


@pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")
async def test_two_deliverers_sharing_a_budget_get_no_429(backend: Backend, tmp_path: Path) -> None:
    """Two deliverers (two outboxes, as two processes would drain) send to one fake Bot
    API that enforces Telegram's limits: 40/s in all, so neither alone (30 messages)
    would meet a 429, but both at full speed would."""
    server_limits = FloodLimits(overall=ServerRate(40, 1.0))
    limits = DeliveryLimits(overall_per_second=40, workers=8)
    stores = [Store.open(f"sqlite:///{tmp_path / f'outbox{i}.db'}") for i in range(2)]
    budgets = [backend.budget, backend.another()]
    try:
        with FakeBotApi(flood_limits=server_limits) as api:
            for i, store in enumerate(stores):
                factory = Factory(store.engine)
                for chat in range(5000 + i * 1000, 5000 + i * 1000 + 30):
                    api.add_private_chat(chat)
                    factory.digest(chat)
            async with telegram.Bot(**api.bot_kwargs()) as bot:
                limiters = [RateLimiter(limits.rate_limits(), shared=b) for b in budgets]
                deliverers = [
                    Deliverer(store.outbox, bot, limits, limiter=limiter)
                    for store, limiter in zip(stores, limiters, strict=True)
                ]
                began = time.monotonic()
                reports = await asyncio.gather(*(d.drain(timeout=30) for d in deliverers))
                elapsed = time.monotonic() - began
                for limiter in limiters:
                    await limiter.settled()
            assert [r.sent for r in reports] == [30, 30]
            assert all(r.pending == 0 and r.flood_waits == 0 for r in reports)
            assert api.throttled() == 0
            assert len(api.sent()) == 60
            assert elapsed >= 0.9  # 60 messages at 40/s in all, not 40/s each
    finally:
        for store in stores:
            store.close()
        if budgets[1] is not budgets[0]:
            await budgets[1].aclose()


# ------------------------------------------------------------- the bot wired to it


@pytest.mark.parametrize("where", ["redis", "postgresql"])
async def test_the_bot_sends_its_replies_through_the_configured_budget(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    bot_id = 700_000_000 + int(uuid.uuid4().int % 100_000_000)
    reader = 4242
    with FakeBotApi(token=f"{bot_id}:budget-test-secret") as api:
        api.add_private_chat(reader, "读者", language_code="zh-hans")
        if where == "redis":
            url = redis_url()
            config = bot_config(api, tmp_path, f"sqlite:///{tmp_path / 'n.db'}")
            config = replace(config, delivery=DeliveryConfig(shared_limits=url))
        else:
            config = bot_config(api, tmp_path, request.getfixturevalue("postgres_url"))
        try:
            async with running_bot(api, config) as running:
                api.push_message(reader, reader, "/help")
                await api.wait_for(1, chat_id=reader)
                services = running.app.bot_data.services
                assert services is not None and services.deliverer is not None
                limiter = services.deliverer.limiter  # the replies' limiter too
                await limiter.settled()
                if where == "redis":
                    assert isinstance(limiter.shared, RedisBudget)
                    assert limiter.shared.prefix == f"newsbot:{bot_id}:budget:"
                    client = aioredis.Redis.from_url(url)
                    try:
                        stamped = await client.zrange(
                            f"newsbot:{bot_id}:budget:{chat_key(reader)}", 0, -1
                        )
                    finally:
                        await client.aclose()
                    await limiter.aclose()
                else:  # auto on PostgreSQL: the database
                    assert isinstance(limiter.shared, DatabaseBudget)
                    stamped = running.store.budget.stamps(chat_key(reader))
                assert len(stamped) == 1  # the reply took its place in the shared window
        finally:
            if where == "redis":
                await drop_prefix(redis_url(), f"newsbot:{bot_id}:")


def test_deliver_main_shares_the_budget_it_is_told(tmp_path: Path) -> None:
    from newsbot.delivery.main import main

    url = f"sqlite:///{tmp_path / 'n.db'}"
    store = Store.open(url)
    try:
        with FakeBotApi() as api:
            api.add_private_chat(4343)
            Factory(store.engine).digest(4343, count=2)
            argv = ["--db", url, "--base-url", api.base_url, "--token", api.token]
            with pytest.raises(SystemExit) as refused:  # as newsbot says a ConfigError
                main([*argv, "--shared-limits", "memcached://x"])
            assert refused.value.code == 2
            assert main([*argv, "--shared-limits", "database", "--private", "100"]) == 0
            assert len(api.sent(4343)) == 2
        # the bot beside it (on SQLite too) sees both sends in the windows they share
        assert len(store.budget.stamps(OVERALL_KEY)) == 2
        assert len(store.budget.stamps(chat_key(4343))) == 2
    finally:
        store.close()
