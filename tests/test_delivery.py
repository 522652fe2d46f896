"""Delivery against the fake Bot API: order, limits, 429s, permanent failures,
migration, network errors, and a kill -9 in the middle of a fan-out."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import telegram
from sqlalchemy import Engine, insert, select
from telegram.request import HTTPXRequest

from newsbot.delivery.sender import Deliverer, DeliveryLimits, permanent_reason
from newsbot.store import Store
from newsbot.store.outbox import OutboxStore, insert_messages
from newsbot.store.schema import chat_events, digests, outbox, subscriptions
from tests.fakebotapi import FakeBotApi, FloodLimits, Rate

# PTB 22 warns when it builds a RetryAfter (retry_after becomes a timedelta in v23).
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")

REPO = Path(__file__).resolve().parents[1]
USER = 1001
OTHER_USER = 1002
GROUP = -4001
SUPERGROUP = -1001234567890
CHANNEL = -1009876543210

# Fast enough for tests; the order and accounting are what is checked here.
FAST = DeliveryLimits(
    overall_per_second=200,
    private_per_second=50,
    group_per_minute=6000,
    base_backoff=0.05,
    max_backoff=0.2,
)


# --------------------------------------------------------------------------- factory


@dataclass(frozen=True)
class Queued:
    subscription_pk: int
    digest_pk: int
    chat_id: int
    texts: tuple[str, ...]


class Factory:
    """Subscriptions and digests written straight into the tables, as the lead's code does."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.slots = 0

    def subscription(self, chat_id: int, chat_type: str = "private") -> int:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(subscriptions).values(
                    chat_id=chat_id,
                    chat_type=chat_type,
                    chat_title=f"chat {chat_id}",
                    tags="[]",
                    include_words="[]",
                    exclude_words="[]",
                    times='["08:00"]',
                    weekdays_only=False,
                    timezone="Asia/Shanghai",
                    max_items=10,
                    show_summary=True,
                    language="zh",
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0])

    def digest(
        self,
        chat_id: int,
        chat_type: str = "private",
        count: int = 1,
        *,
        subscription_pk: int | None = None,
        texts: Sequence[str] | None = None,
    ) -> Queued:
        if subscription_pk is None:
            subscription_pk = self.subscription(chat_id, chat_type)
        now = datetime.now(UTC)
        self.slots += 1
        texts = tuple(texts or [f"<b>摘要</b> {chat_id} 第{i}条" for i in range(count)])
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(digests).values(
                    subscription_pk=subscription_pk,
                    slot=now + timedelta(microseconds=self.slots),
                    kind="manual",
                    status="pending",
                    items=len(texts),
                    created_at=now,
                )
            )
            assert result.inserted_primary_key is not None
            digest_pk = int(result.inserted_primary_key[0])
            insert_messages(conn, digest_pk, chat_id, texts, now)
        return Queued(subscription_pk, digest_pk, chat_id, texts)

    def rows(self, digest_pk: int | None = None) -> list[dict[str, object]]:
        query = select(outbox).order_by(outbox.c.pk)
        if digest_pk is not None:
            query = query.where(outbox.c.digest_pk == digest_pk)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def digest_status(self, digest_pk: int) -> tuple[str, datetime | None]:
        with self.engine.connect() as conn:
            row = conn.execute(select(digests).where(digests.c.pk == digest_pk)).one()
        return row.status, row.finished_at

    def subscription_row(self, pk: int) -> dict[str, object]:
        with self.engine.connect() as conn:
            row = conn.execute(select(subscriptions).where(subscriptions.c.pk == pk)).one()
        return dict(row._mapping)

    def events(self, kind: str) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(chat_events).where(chat_events.c.kind == kind).order_by(chat_events.c.pk)
            )
            return [dict(row._mapping) for row in rows]


# -------------------------------------------------------------------------- fixtures


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(USER, "Li")
        server.add_private_chat(OTHER_USER, "Wang")
        server.add_group(GROUP, "本地新闻群")
        server.add_channel(CHANNEL, "新闻频道")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(**api.bot_kwargs()) as real_bot:
        yield real_bot


@pytest.fixture
def factory(store: Store) -> Factory:
    return Factory(store.engine)


def deliverer(store: Store, bot: telegram.Bot, limits: DeliveryLimits = FAST) -> Deliverer:
    return Deliverer(store.outbox, bot, limits)


def texts_to(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m.text for m in api.sent(chat_id)]


# ------------------------------------------------------------------------ the store


def test_only_the_head_of_each_chat_is_due(store: Store, factory: Factory) -> None:
    first = factory.digest(USER, count=3)
    group = factory.digest(GROUP, "group", count=2)
    factory.digest(USER, count=1, subscription_pk=first.subscription_pk)  # a later digest
    now = datetime.now(UTC) + timedelta(seconds=1)
    heads = store.outbox.due(now)
    assert [(m.digest_pk, m.chat_id, m.seq, m.chat_type) for m in heads] == [
        (first.digest_pk, USER, 0, "private"),
        (group.digest_pk, GROUP, 0, "group"),
    ]
    assert heads[0].text == first.texts[0] and heads[0].attempts == 0
    assert store.outbox.due(now, exclude_chats={USER}) == [heads[1]]
    # A head waiting for a retry holds its whole chat back, and sets the next wake-up.
    store.outbox.mark_retry(heads[0].pk, now + timedelta(minutes=5), "network error")
    assert [m.chat_id for m in store.outbox.due(now)] == [GROUP]
    assert store.outbox.next_due() == heads[1].not_before
    assert store.outbox.mark_sent(heads[1].pk, 1, now)
    assert not store.outbox.mark_sent(heads[1].pk, 1, now)  # recorded once
    assert [m.seq for m in store.outbox.due(now)] == [1]  # the group's second message
    assert store.outbox.pending_count() == 3 + 2 + 1 - 1
    assert factory.digest_status(group.digest_pk)[0] == "pending"  # one message to go


# ---------------------------------------------------------------------- happy path


async def test_messages_go_out_in_order_with_their_message_ids(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    queued = [
        factory.digest(USER, count=3),
        factory.digest(GROUP, "group", count=2),
        factory.digest(CHANNEL, "channel", count=1),
        factory.digest(OTHER_USER, count=2),
    ]
    second = factory.digest(USER, count=2, subscription_pk=queued[0].subscription_pk)

    report = await deliverer(store, bot).drain(timeout=10)

    assert (report.sent, report.failed, report.retried, report.pending) == (10, 0, 0, 0)
    assert texts_to(api, USER) == list(queued[0].texts + second.texts)
    for q in queued[1:]:
        assert texts_to(api, q.chat_id) == list(q.texts)
    for q in [*queued, second]:
        assert factory.digest_status(q.digest_pk)[0] == "sent"
        sent_ids = [m.message_id for m in api.sent(q.chat_id)]
        for row in factory.rows(q.digest_pk):
            assert row["status"] == "sent"
            assert row["telegram_message_id"] in sent_ids
            assert row["sent_at"] is not None
    assert api.sent(USER)[0].params["parse_mode"] == "HTML"
    assert api.sent(USER)[0].params["link_preview_options"] == {"is_disabled": True}
    stats = store.outbox.stats(datetime.now(UTC) - timedelta(hours=1))
    assert (stats.sent, stats.pending, stats.failed, stats.flood_waits) == (10, 0, 0, 0)
    assert await deliverer(store, bot).drain(timeout=5) == type(report)()  # nothing twice


async def test_run_sends_what_is_queued_after_notify_and_stops(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    d = deliverer(store, bot)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    await asyncio.sleep(0.2)
    q = factory.digest(USER, count=2)
    d.notify()
    await api.wait_for(2, chat_id=USER, timeout=5)
    api.fail_next("sendMessage", chat_id=OTHER_USER, error_code=502)  # a retry needs no notify
    factory.digest(OTHER_USER)
    d.notify()
    await api.wait_for(1, chat_id=OTHER_USER, timeout=5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert texts_to(api, USER) == list(q.texts)
    assert d.totals.sent == 3 and d.totals.retried == 1


# ---------------------------------------------------------------------- flood control


async def test_429_mid_digest_waits_the_full_retry_after(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    limits = DeliveryLimits(overall_per_second=100, private_per_second=4, group_per_minute=6000)
    q = factory.digest(USER, count=4)
    other = factory.digest(GROUP, "group", count=6)
    drain = asyncio.create_task(deliverer(store, bot, limits).drain(timeout=15))
    await api.wait_for(1, chat_id=USER, timeout=5)
    api.fail_next("sendMessage", chat_id=USER, error_code=429, retry_after=1)
    report = await drain

    assert texts_to(api, USER) == list(q.texts)  # nothing lost, nothing repeated, in order
    assert texts_to(api, GROUP) == list(other.texts)
    assert (report.sent, report.flood_waits, report.failed, report.pending) == (10, 1, 0, 0)
    requests = api.requests("sendMessage")
    [flooded] = [r for r in requests if r.status == 429]
    # Every send waits the full second (sends already on their way may still land).
    in_pause = [r for r in requests if flooded.time + 0.1 < r.time < flooded.time + 1.0]
    assert in_pause == []
    assert any(r.time >= flooded.time + 1.0 for r in requests)
    assert all(row["attempts"] == 0 for row in factory.rows(q.digest_pk))
    stats = store.outbox.stats(datetime.now(UTC) - timedelta(hours=1))
    assert stats.flood_waits == 1
    assert factory.events("flood_wait")[0]["chat_id"] == USER


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_server_enforced_flood_limits_lose_nothing(store: Store, factory: Factory) -> None:
    # Telegram's limits scaled up 50/30 and 10x so the test takes seconds, not minutes.
    server_limits = FloodLimits(
        overall=Rate(50, 1.0), private_chat=Rate(10, 1.0), group_chat=Rate(300, 60.0)
    )
    limits = DeliveryLimits(overall_per_second=50, private_per_second=10, group_per_minute=300)
    with FakeBotApi(flood_limits=server_limits) as api:
        chats = [2000 + i for i in range(40)]
        for chat in chats:
            api.add_private_chat(chat)
        api.add_group(GROUP)
        api.add_private_chat(USER)
        queued = [factory.digest(chat, count=2) for chat in chats]
        queued.append(factory.digest(GROUP, "group", count=20))
        queued.append(factory.digest(USER, count=15))  # 1.5 s at 10/s
        async with telegram.Bot(**api.bot_kwargs()) as real_bot:
            started = time.monotonic()
            report = await Deliverer(store.outbox, real_bot, limits).drain(timeout=20)
            elapsed = time.monotonic() - started
        assert report.pending == 0 and report.failed == 0
        for q in queued:
            assert texts_to(api, q.chat_id) == list(q.texts)
        assert api.throttled() == 0  # the limiter kept under the server's limits
        assert elapsed >= 1.4  # and did not just ignore them


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_limits_above_the_servers_still_lose_nothing(store: Store, factory: Factory) -> None:
    server_limits = FloodLimits(overall=Rate(30, 1.0), private_chat=Rate(5, 1.0))
    too_fast = DeliveryLimits(overall_per_second=1000, private_per_second=1000, workers=8)
    with FakeBotApi(flood_limits=server_limits) as api:
        chats = [3000 + i for i in range(20)]
        for chat in chats:
            api.add_private_chat(chat)
        queued = [factory.digest(chat, count=3) for chat in chats]
        async with telegram.Bot(**api.bot_kwargs()) as real_bot:
            report = await Deliverer(store.outbox, real_bot, too_fast).drain(timeout=20)
        assert api.throttled() > 0 and report.flood_waits == api.throttled()
        assert report.pending == 0 and report.sent == 60
        for q in queued:
            assert texts_to(api, q.chat_id) == list(q.texts)


# -------------------------------------------------------------------- permanent failures


@pytest.mark.parametrize(
    ("chat_id", "chat_type", "setup", "reason"),
    [
        (USER, "private", lambda api: api.block_bot(USER), "blocked the bot"),
        (-4999, "group", lambda api: None, "chat not found"),
        (
            CHANNEL,
            "channel",
            lambda api: api.set_bot_member(CHANNEL, "administrator", can_post_messages=False),
            "no right to post",
        ),
        (GROUP, "group", lambda api: api.set_bot_member(GROUP, "kicked"), "removed from the chat"),
        (
            GROUP,
            "group",
            lambda api: api.set_bot_member(GROUP, "restricted", can_send_messages=False),
            "no right to post",
        ),
    ],
    ids=["blocked", "chat-not-found", "channel-no-rights", "kicked", "restricted"],
)
async def test_unreachable_chats_are_deactivated_with_the_reason(
    api: FakeBotApi,
    bot: telegram.Bot,
    store: Store,
    factory: Factory,
    chat_id: int,
    chat_type: str,
    setup: object,
    reason: str,
) -> None:
    assert callable(setup)
    setup(api)
    first = factory.digest(chat_id, chat_type, count=3)
    second = factory.digest(chat_id, chat_type, count=1)  # another subscription of the chat
    fine = factory.digest(OTHER_USER, count=2)

    report = await deliverer(store, bot).drain(timeout=10)

    assert report.deactivated == 1 and report.sent == 2 and report.pending == 0
    assert texts_to(api, OTHER_USER) == list(fine.texts)
    assert len(api.requests("sendMessage")) == 3  # one try at the unreachable chat
    for q in (first, second):
        sub = factory.subscription_row(q.subscription_pk)
        assert sub["active"] is False and reason in str(sub["inactive_reason"])
        assert factory.digest_status(q.digest_pk)[0] == "failed"
        assert {row["status"] for row in factory.rows(q.digest_pk)} == {"failed"}
    assert factory.subscription_row(fine.subscription_pk)["active"] is True
    stats = store.outbox.stats(datetime.now(UTC) - timedelta(hours=1))
    assert {(s.subscription_id, s.chat_id) for s in stats.inactive} == {
        (first.subscription_pk, chat_id),
        (second.subscription_pk, chat_id),
    }
    assert all(reason in (s.reason or "") for s in stats.inactive)
    assert [(e.chat_id, e.kind) for e in stats.last_errors] == [(chat_id, "deactivated")]
    assert stats.failed == 4


async def test_a_refused_message_fails_alone_and_is_never_retried(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    q = factory.digest(USER, texts=["<b>一</b>", "<h1>坏的</h1>", "<i>三</i>"])
    report = await deliverer(store, bot).drain(timeout=10)
    assert (report.sent, report.failed, report.deactivated) == (2, 1, 0)
    assert texts_to(api, USER) == ["<b>一</b>", "<i>三</i>"]
    assert len(api.requests("sendMessage")) == 3
    assert [row["status"] for row in factory.rows(q.digest_pk)] == ["sent", "failed", "sent"]
    assert factory.digest_status(q.digest_pk)[0] == "failed"
    assert factory.subscription_row(q.subscription_pk)["active"] is True
    stats = store.outbox.stats(datetime.now(UTC) - timedelta(hours=1))
    [error] = stats.last_errors
    assert error.chat_id == USER and "parse entities" in error.detail.lower()
    assert stats.failed == 1


def test_permanent_reasons_read_well() -> None:
    from telegram.error import BadRequest, Forbidden, NetworkError

    assert permanent_reason(Forbidden("Forbidden: bot was blocked by the user")) == (
        "the user blocked the bot (Forbidden: bot was blocked by the user)"
    )
    assert "no right to post" in (permanent_reason(BadRequest("CHAT_WRITE_FORBIDDEN")) or "")
    assert "no right" in (
        permanent_reason(BadRequest("Bad Request: have no rights to send a message")) or ""
    )
    assert permanent_reason(BadRequest("Bad Request: can't parse entities")) is None
    assert permanent_reason(NetworkError("Bad Gateway")) is None


# ----------------------------------------------------------------------- migration


async def test_a_group_upgraded_to_a_supergroup_is_followed(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    q = factory.digest(GROUP, "group", count=3)
    api.migrate_group(GROUP, SUPERGROUP)
    report = await deliverer(store, bot).drain(timeout=10)
    assert (report.sent, report.migrated, report.pending) == (3, 1, 0)
    assert texts_to(api, SUPERGROUP) == list(q.texts)
    sub = factory.subscription_row(q.subscription_pk)
    assert (sub["chat_id"], sub["chat_type"], sub["active"]) == (SUPERGROUP, "supergroup", True)
    assert {row["chat_id"] for row in factory.rows(q.digest_pk)} == {SUPERGROUP}
    assert factory.digest_status(q.digest_pk)[0] == "sent"
    [event] = factory.events("migrated")
    assert event["chat_id"] == GROUP and str(SUPERGROUP) in str(event["detail"])


# ------------------------------------------------------------------ network failures


async def test_server_errors_are_retried_with_backoff(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    q = factory.digest(USER, count=2)
    api.fail_next("sendMessage", chat_id=USER, error_code=502, count=2)
    started = time.monotonic()
    report = await deliverer(store, bot).drain(timeout=10)
    assert (report.sent, report.retried, report.failed) == (2, 2, 0)
    assert texts_to(api, USER) == list(q.texts)
    assert time.monotonic() - started >= 0.05 + 0.1  # base_backoff * (2**0 + 2**1)
    assert [row["attempts"] for row in factory.rows(q.digest_pk)] == [2, 0]


async def test_a_message_fails_after_max_attempts(
    api: FakeBotApi, bot: telegram.Bot, store: Store, factory: Factory
) -> None:
    limits = replace(FAST, base_backoff=0.01, max_backoff=0.02, max_attempts=3)
    q = factory.digest(USER, count=2)
    api.fail_next("sendMessage", chat_id=USER, error_code=500, count=3)
    report = await deliverer(store, bot, limits).drain(timeout=10)
    assert (report.sent, report.retried, report.failed) == (0, 2, 1)
    assert texts_to(api, USER) == []  # the rest of the digest waits for its rebuild
    assert [row["status"] for row in factory.rows(q.digest_pk)] == ["failed", "failed"]
    stats = store.outbox.stats(datetime.now(UTC) - timedelta(hours=1))
    assert "3 attempts" in stats.last_errors[0].detail


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_unreachable_server_is_retried_then_failed(store: Store, factory: Factory) -> None:
    q = factory.digest(USER, count=1)
    limits = replace(FAST, base_backoff=0.01, max_backoff=0.02, max_attempts=3)
    request = HTTPXRequest(connect_timeout=1.0)
    dead = telegram.Bot("123:dead", base_url="http://127.0.0.1:9/bot", request=request)
    report = await Deliverer(store.outbox, dead, limits).drain(timeout=20)
    assert (report.sent, report.retried, report.failed) == (0, 2, 1)
    [row] = factory.rows(q.digest_pk)
    assert row["status"] == "failed" and "network error" in str(row["error"])
    assert "123:dead" not in str(row["error"])


# -------------------------------------------------------------------------- kill -9


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_kill_9_mid_fan_out_then_restart_delivers_everything_once(
    db_url: str, store: Store, factory: Factory
) -> None:
    chats = [10_000 + i for i in range(200)]
    for chat in chats:
        factory.digest(chat)
    with FakeBotApi() as api:
        for chat in chats:
            api.add_private_chat(chat)
        command = [
            sys.executable,
            "-m",
            "newsbot.delivery.main",
            "--db",
            db_url,
            "--base-url",
            api.base_url,
            "--overall",
            "80",
            "--workers",
            "1",
            "--timeout",
            "30",
        ]
        env = {**os.environ, "NEWSBOT_TELEGRAM_TOKEN": api.token}
        first = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE)
        try:
            api.wait_until_sync(lambda: len(api.sent()) >= 100, timeout=20)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            assert first.stderr is not None
            first.stderr.close()
        assert first.returncode == -signal.SIGKILL
        assert len(api.sent()) < len(chats)  # killed in the middle
        second = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=40
        )
        assert second.returncode == 0, second.stderr[-2000:]
        assert api.token not in second.stderr
        per_chat = Counter(m.chat_id for m in api.sent())
    assert set(per_chat) == set(chats)  # every chat got its digest
    repeats = sum(n - 1 for n in per_chat.values())
    assert repeats <= 1  # at most the one message in flight at the kill
    assert store.outbox.pending_count() == 0
    assert all(row["status"] == "sent" for row in factory.rows())


def test_outbox_store_is_exposed_by_the_store(store: Store) -> None:
    assert isinstance(store.outbox, OutboxStore)
