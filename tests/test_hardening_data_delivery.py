"""An outage or a blocked chat delays a digest's articles but never loses them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import telegram

from newsbot.delivery.sender import Deliverer, DeliveryLimits
from newsbot.digest.builder import DigestBuilder
from newsbot.models import Subscription, SubscriptionSpec
from newsbot.render import Renderer
from newsbot.store import Store
from newsbot.store.schema import outbox
from newsbot.store.subscriptions import Actor
from tests.factories import fill, make_article
from tests.fakebotapi import FakeBotApi

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")

USER = 1001
ALICE = Actor(USER, "@alice")
FAST = DeliveryLimits(
    overall_per_second=500, private_per_second=500, base_backoff=0.01, max_backoff=0.02
)


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(USER, "Alice")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(**api.bot_kwargs()) as real_bot:
        yield real_bot


def subscribed(store: Store) -> Subscription:
    fill(store, [make_article(n) for n in range(3)])
    return store.subscriptions.create(
        chat_id=USER,
        chat_type="private",
        chat_title="Alice",
        spec=SubscriptionSpec(),
        language="zh",
        actor=ALICE,
        now=datetime.now(UTC) - timedelta(days=1),
    )


def build(store: Store, sub: Subscription, at: datetime, limit: int = 4096) -> tuple[int, int]:
    """(items, messages) of the digest of ``sub``'s slot ``at``, built now."""
    builder = DigestBuilder(store, Renderer(ZoneInfo("Asia/Shanghai"), limit=limit))
    record = builder.build(sub, at, "scheduled", datetime.now(UTC), "news_bot")
    assert record is not None
    return record.items, record.messages


def statuses(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r.status for r in conn.execute(outbox.select().order_by(outbox.c.pk))]


async def test_an_outage_longer_than_ten_attempts_still_delivers(
    api: FakeBotApi, bot: telegram.Bot, store: Store
) -> None:
    sub = subscribed(store)
    assert build(store, sub, datetime.now(UTC)) == (3, 1)
    api.fail_next("sendMessage", chat_id=USER, error_code=502, count=15)
    report = await Deliverer(store.outbox, bot, FAST).drain(timeout=30)
    assert (report.sent, report.failed, report.pending) == (1, 0, 0)
    assert report.retried == 15


async def test_past_the_retry_window_the_digest_goes_back_to_the_pool(
    api: FakeBotApi, bot: telegram.Bot, store: Store
) -> None:
    sub = subscribed(store)
    items, messages = build(store, sub, datetime.now(UTC), limit=150)
    assert items == 3 and messages >= 2
    api.fail_next("sendMessage", chat_id=USER, error_code=503, count=10_000)
    clock = Clock()
    deliverer = Deliverer(store.outbox, bot, FAST, clock=clock)
    first = await deliverer.drain(timeout=0.5)
    assert first.sent == 0 and first.failed == 0 and first.pending == messages
    clock.offset = timedelta(hours=24, minutes=1)  # the network stayed down a day
    second = await deliverer.drain(timeout=5)
    assert (second.sent, second.failed, second.pending) == (0, 1, 0)
    assert statuses(store) == ["failed"] * messages  # no part of it went out
    assert api.sent(USER) == []
    [event] = store.outbox.stats(datetime.now(UTC) - timedelta(hours=1)).last_errors
    assert f"3 articles go back to subscription #{sub.id}" in event.detail
    # The next digest offers the same articles again.
    assert build(store, sub, datetime.now(UTC) + timedelta(days=1))[0] == 3


async def test_a_chat_that_blocked_the_bot_gets_its_articles_when_back(
    api: FakeBotApi, bot: telegram.Bot, store: Store
) -> None:
    sub = subscribed(store)
    assert build(store, sub, datetime.now(UTC))[0] == 3
    api.block_bot(USER)
    report = await Deliverer(store.outbox, bot, FAST).drain(timeout=10)
    assert report.deactivated == 1 and api.sent(USER) == []
    api.block_bot(USER, blocked=False)
    back = store.subscriptions.change(sub.id, sub.spec, ALICE, datetime.now(UTC))
    assert back.active
    assert build(store, back, datetime.now(UTC) + timedelta(hours=1))[0] == 3
    report = await Deliverer(store.outbox, bot, FAST).drain(timeout=10)
    assert report.sent == 1
    [message] = api.sent(USER)
    assert all(make_article(n).title in message.text for n in range(3))


async def test_max_attempts_still_caps_when_set(
    api: FakeBotApi, bot: telegram.Bot, store: Store
) -> None:
    sub = subscribed(store)
    build(store, sub, datetime.now(UTC))
    api.fail_next("sendMessage", chat_id=USER, error_code=500, count=3)
    limits = replace(FAST, max_attempts=3)
    report = await Deliverer(store.outbox, bot, limits).drain(timeout=10)
    assert (report.sent, report.failed) == (0, 1)
    assert build(store, sub, datetime.now(UTC) + timedelta(hours=1))[0] == 3
