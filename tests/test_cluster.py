"""Several instances on one database: outbox claims, the leader's lease, failover after a
kill -9, a second instance refused on SQLite, and webhook mode with repeated updates."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import telegram

from newsbot.bot.cluster import Leadership, LeaseTiming
from newsbot.delivery.sender import Deliverer, DeliveryLimits
from newsbot.store import Store
from newsbot.store.leases import Lease, LeaseStore
from tests.bot_harness import bot_config, running_bot
from tests.factories import make_page_text
from tests.fakebotapi import FakeBotApi, FloodLimits
from tests.test_delivery import Factory

REPO = Path(__file__).resolve().parents[1]
READER = 5001
SECRET = "s3cret-token_for-tests"


# ------------------------------------------------------------------- processes


@dataclass
class Instance:
    """One ``newsbot run`` process, its log in a file (a pipe could fill and block it)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, pattern: str, timeout: float) -> float:
        """Wait until the log matches ``pattern``; the monotonic time it was seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.text()):
                return time.monotonic()
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no {pattern!r} in its log:\n{self.text()[-3000:]}")

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


class Cluster:
    """Instances of ``newsbot run`` on one database and one fake Bot API."""

    def __init__(self, tmp_path: Path, api: FakeBotApi, db_url: str) -> None:
        self.tmp_path = tmp_path
        self.api = api
        self.db_url = db_url
        self.seeds = tmp_path / "seeds"
        self.seeds.mkdir(exist_ok=True)
        (self.seeds / "a.txt").write_text(make_page_text(1), encoding="utf-8")
        self.instances: list[Instance] = []

    def start(self, name: str, *args: str, **env: str) -> Instance:
        environ = {
            **os.environ,
            "NEWSBOT_TELEGRAM_TOKEN": self.api.token,
            "NEWSBOT_TELEGRAM_BASE_URL": self.api.base_url,
            "NEWSBOT_DATABASE_URL": self.db_url,
            "NEWSBOT_SEEDS_DIR": str(self.seeds),
            "NEWSBOT_CONFIG": "",
            "NEWSBOT_LOG_LEVEL": "INFO",
            **env,
        }
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "newsbot", "run", *args],
                cwd=REPO,
                env=environ,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        instance = Instance(name, process, log)
        self.instances.append(instance)
        return instance

    def close(self) -> None:
        for instance in self.instances:
            if instance.process.poll() is None:
                instance.process.kill()
                instance.process.wait(timeout=10)


@contextmanager
def _cluster(tmp_path: Path, api: FakeBotApi, url: str) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path, api, url)
    try:
        yield cluster
    finally:
        cluster.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _replies(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m.plain for m in api.sent(chat_id)]


# ------------------------------------------------------------------- outbox claims


def test_two_claimers_never_get_the_same_message(store: Store) -> None:
    factory = Factory(store.engine)
    for chat in range(1, 41):
        factory.digest(chat, count=2)
    now = datetime.now(UTC)
    until = now + timedelta(seconds=15)
    heads = store.outbox.due(now, 100)
    assert len(heads) == 40  # the first message of each chat
    pks = [m.pk for m in heads]
    won: dict[str, list[int]] = {}

    def claim(holder: str) -> None:
        other = Store(store.engine)  # another process would have its own; one engine is enough
        won[holder] = other.outbox.claim(pks, holder, until, now)

    threads = [threading.Thread(target=claim, args=(f"h{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [pk for got in won.values() for pk in got]
    assert sorted(everything) == sorted(pks)  # each once, none lost
    assert store.outbox.due(now, 100) == []  # held heads offer nothing, nor what follows them
    assert store.outbox.claim(pks, "late", until, now) == []


def test_an_expired_claim_is_taken_over_and_a_renewal_then_fails(store: Store) -> None:
    factory = Factory(store.engine)
    factory.digest(7, count=2)
    now = datetime.now(UTC)
    (head,) = store.outbox.due(now, 10)
    assert store.outbox.claim([head.pk], "dead", now + timedelta(seconds=15), now) == [head.pk]
    assert store.outbox.next_due() == now + timedelta(seconds=15)  # when it lapses
    later = now + timedelta(seconds=16)
    (again,) = store.outbox.due(later, 10)  # the claim lapsed: the head is offered again
    assert again.pk == head.pk
    assert store.outbox.claim([head.pk], "alive", later + timedelta(seconds=15), later) == [head.pk]
    assert not store.outbox.renew(head.pk, "dead", later + timedelta(seconds=30))
    assert store.outbox.renew(head.pk, "alive", later + timedelta(seconds=30))


def test_claims_keep_chat_order_and_release_gives_back(store: Store) -> None:
    factory = Factory(store.engine)
    queued = factory.digest(9, count=3)
    now = datetime.now(UTC)
    until = now + timedelta(seconds=15)
    first, second, third = (row["pk"] for row in factory.rows(queued.digest_pk))
    assert isinstance(first, int) and isinstance(second, int)
    # Only the head can be claimed while it is pending; the second waits its turn.
    (head,) = store.outbox.due(now, 10)
    assert head.pk == first
    assert store.outbox.claim([first], "a", until, now) == [first]
    assert store.outbox.due(now, 10) == []
    store.outbox.release([first], "b")  # not b's: nothing changes
    assert store.outbox.due(now, 10) == []
    store.outbox.release([first], "a")
    assert [m.pk for m in store.outbox.due(now, 10)] == [first]
    assert store.outbox.claim([first], "b", until, now) == [first]
    assert store.outbox.mark_sent(first, 100, now)
    (head,) = store.outbox.due(now, 10)
    assert head.pk == second  # in order, and free to any process
    assert store.outbox.claim([second], "a", until, now) == [second]
    store.outbox.mark_retry(second, now + timedelta(seconds=5), "network error")
    assert store.outbox.due(now, 10) == []  # the retry waits; the third never overtakes it
    assert [m.pk for m in store.outbox.due(now + timedelta(seconds=6), 10)] == [second]
    assert isinstance(third, int) and third > second


# ------------------------------------------------------------- several instances


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_three_instances_one_leader_one_reply_per_command(tmp_path: Path, db_url: str) -> None:
    with FakeBotApi() as api, _cluster(tmp_path, api, db_url) as cluster:
        first = cluster.start("a")
        first.wait_log(r"role: leader", 60)
        api.wait_until_sync(lambda: api.is_polling, timeout=30)
        others = [cluster.start("b"), cluster.start("c")]
        for other in others:
            other.wait_log(r"role: standby", 60)
            other.wait_log(r"outbox delivery running", 30)
        readers = [READER + i for i in range(5)]
        for reader in readers:
            api.push_message(reader, None, "/latest")
        for reader in readers:
            (reply,) = api.wait_for_sync(1, chat_id=reader, timeout=20)
            assert "第1号测试新闻" in reply.plain
        time.sleep(2)  # any second reply would have come by now
        assert all(len(api.sent(reader)) == 1 for reader in readers)
        # No polling fight. (On the way out the leader gives its lease back and the next
        # one polls: the fake then ends the old, abandoned long poll with a 409.)
        assert not [r for r in api.requests("getUpdates") if r.status == 409]
        leaders = sum("role: leader" in instance.text() for instance in cluster.instances)
        codes = [instance.stop() for instance in cluster.instances]
        logs = [instance.text() for instance in cluster.instances]
    assert codes == [0, 0, 0], logs
    assert leaders == 1
    assert all("Traceback" not in text and api.token not in text for text in logs)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_leader_killed_mid_fan_out_a_standby_takes_over(
    tmp_path: Path, db_url: str, store: Store
) -> None:
    chats = [10_000 + i for i in range(200)]
    with FakeBotApi(flood_limits=FloodLimits()) as api:
        for chat in chats:
            api.add_private_chat(chat)
        with _cluster(tmp_path, api, db_url) as cluster:
            leader = cluster.start("leader")
            leader.wait_log(r"role: leader", 60)
            api.wait_until_sync(lambda: api.is_polling, timeout=30)
            standby = cluster.start("standby")
            standby.wait_log(r"role: standby", 60)
            standby.wait_log(r"outbox delivery running", 30)
            factory = Factory(store.engine)
            for chat in chats:
                factory.digest(chat)
            api.wait_until_sync(lambda: len(api.sent()) >= 60, timeout=30)
            leader.process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            leader.process.wait(timeout=10)
            sent_at_kill = len(api.sent())
            api.push_message(READER, None, "/latest")
            took_over = standby.wait_log(r"role: leader", 30) - killed
            (reply,) = api.wait_for_sync(
                1, chat_id=READER, timeout=max(1, 45 - (time.monotonic() - killed))
            )
            answered = time.monotonic() - killed
            api.wait_until_sync(lambda: {m.chat_id for m in api.sent()} >= set(chats), timeout=60)
            served = time.monotonic() - killed
            # The sends in flight at the kill went out but were not recorded: the standby
            # sends them again once the dead leader's claims lapse (the repeats counted).
            deadline = time.monotonic() + 60
            while store.outbox.pending_count() and time.monotonic() < deadline:
                time.sleep(0.2)
            done = time.monotonic() - killed
            per_chat = Counter(m.chat_id for m in api.sent() if m.chat_id in set(chats))
            code = standby.stop()
            log = standby.text()
    repeats = sum(n - 1 for n in per_chat.values())
    print(
        f"\nkill -9 after {sent_at_kill} of {len(chats)} sent: takeover {took_over:.1f} s, "
        f"reader answered {answered:.1f} s, every chat served {served:.1f} s and the outbox "
        f"empty {done:.1f} s after the kill, "
        f"{repeats} repeats, {api.throttled()} 429s"
    )
    assert "第1号测试新闻" in reply.plain
    assert sent_at_kill < len(chats)  # killed in the middle
    assert set(per_chat) == set(chats)  # every chat got its digest
    assert repeats <= 4  # at most the leader's sends in flight (its 4 workers)
    assert took_over < 30
    assert answered < 45
    assert code == 0, log[-3000:]
    assert store.outbox.pending_count() == 0
    assert api.throttled() == 0  # Telegram's limits held for both instances together


def test_sqlite_refuses_a_second_instance_and_a_restart_after_kill_9_runs(
    tmp_path: Path, sqlite_url: str
) -> None:
    with FakeBotApi() as api, _cluster(tmp_path, api, sqlite_url) as cluster:
        first = cluster.start("first")
        first.wait_log(r"role: leader", 60)
        second = cluster.start("second")
        code = second.process.wait(timeout=30)
        refused = second.text()
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        again = cluster.start("again")  # its lease is still live, but its process is gone
        again.wait_log(r"role: leader", 60)
        api.push_message(READER, None, "/latest")
        (reply,) = api.wait_for_sync(1, chat_id=READER, timeout=20)
        assert again.stop() == 0, again.text()[-3000:]
    assert code == 2
    lines = [line for line in refused.splitlines() if line.startswith("error:")]
    assert lines == [line for line in refused.splitlines() if "another newsbot run" in line], (
        refused
    )
    assert len(lines) == 1 and "several instances need PostgreSQL" in lines[0]
    assert "Traceback" not in refused
    assert "第1号测试新闻" in reply.plain


# ------------------------------------------------------------------- webhooks


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_webhook_mode_every_instance_serves_and_a_repeat_is_handled_once(
    tmp_path: Path, db_url: str
) -> None:
    ports = [_free_port(), _free_port()]
    public = f"http://127.0.0.1:{ports[0]}/hook"  # what a load balancer would stand for
    with FakeBotApi() as api, _cluster(tmp_path, api, db_url) as cluster:
        instances = [
            cluster.start(
                name,
                "--webhook",
                public,
                NEWSBOT_TELEGRAM_WEBHOOK_PORT=str(port),
                NEWSBOT_TELEGRAM_WEBHOOK_SECRET=SECRET,
            )
            for name, port in zip(("a", "b"), ports, strict=True)
        ]
        for instance in instances:
            instance.wait_log(r"webhook served on", 60)
            instance.wait_log(r"role: (leader|standby)", 60)
        api.wait_until_sync(lambda: api.webhook is not None, timeout=30)
        assert api.webhook == (public, SECRET)
        urls = [f"http://127.0.0.1:{port}/hook" for port in ports]
        first = api.push_message(READER, None, "/latest")
        assert api.post_to_webhook(first, url=urls[1]) == 200
        (reply,) = api.wait_for_sync(1, chat_id=READER, timeout=20)
        # Telegram delivers it again, this time to the other instance: handled once.
        assert api.post_to_webhook(first, url=urls[0]) == 200
        assert api.post_to_webhook(first, url=urls[1]) == 200
        second = api.push_message(READER + 1, None, "/latest")
        assert api.post_to_webhook(second, url=urls[0], secret="wrong") == 403
        assert api.post_to_webhook(second, url=urls[0]) == 200
        api.wait_for_sync(1, chat_id=READER + 1, timeout=20)
        time.sleep(2)  # a second reply would have come by now
        assert len(api.sent(READER)) == 1 and len(api.sent(READER + 1)) == 1
        # Counted before the stops: the leader's clean stop hands the lease over, and the
        # instance that takes it registers the webhook again, as a new leader should.
        registered = len(api.requests("setWebhook"))
        codes = [instance.stop() for instance in instances]
        logs = [instance.text() for instance in instances]
    assert "第1号测试新闻" in reply.plain
    assert codes == [0, 0], logs
    assert registered == 1  # only the leader registers it
    assert not api.requests("getUpdates")  # nobody polls in webhook mode
    assert sum("handled already" in text for text in logs) >= 2


def test_an_update_id_is_handled_once(store: Store) -> None:
    now = datetime.now(UTC)
    assert store.updates.first_time(41, now)
    assert not store.updates.first_time(41, now)
    assert store.updates.first_time(42, now + timedelta(days=2))
    assert store.updates.prune(now + timedelta(days=1)) == 1
    assert store.updates.first_time(41, now)  # forgotten after a day


def test_a_lease_is_held_renewed_lapses_and_is_given_back(store: Store) -> None:
    now = datetime.now(UTC)
    ttl = timedelta(seconds=15)
    assert store.leases.acquire("leader", "a", ttl, now)
    assert not store.leases.acquire("leader", "b", ttl, now + timedelta(seconds=5))
    assert store.leases.acquire("leader", "a", ttl, now + timedelta(seconds=5))  # renewed
    assert not store.leases.acquire("leader", "b", ttl, now + timedelta(seconds=19))
    assert store.leases.acquire("leader", "b", ttl, now + timedelta(seconds=21))  # lapsed
    assert not store.leases.acquire("leader", "a", ttl, now + timedelta(seconds=22))
    assert not store.leases.release("leader", "a")
    assert store.leases.release("leader", "b")
    assert store.leases.get("leader") is None
    assert store.leases.acquire("leader", "a", ttl, now + timedelta(seconds=23))


async def test_services_say_the_role_and_when_telegram_last_answered(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with FakeBotApi() as api, running_bot(api, bot_config(api, tmp_path, sqlite_url)) as bot:
        services = bot.app.bot_data.services
        assert services is not None
        assert services.role == "leader"  # one instance, started leading
        assert services.last_telegram_ok is not None
        before = services.last_telegram_ok
        api.push_message(READER, None, "/help")
        await api.wait_for(1, chat_id=READER, timeout=10)
        assert services.last_telegram_ok > before


async def test_two_deliverers_on_one_outbox_send_each_message_once(db_url: str) -> None:
    """What deliver_main beside the bot (or two instances) does: 60 messages, 60 sends."""
    stores = [Store.open(db_url), Store.open(db_url)]  # two engines, as two processes
    try:
        factory = Factory(stores[0].engine)
        chats = [20_000 + i for i in range(20)]
        for chat in chats:
            factory.digest(chat, count=3)
        async with FakeBotApi() as api:
            for chat in chats:
                api.add_private_chat(chat)
            async with telegram.Bot(**api.bot_kwargs()) as bot:
                limits = DeliveryLimits(
                    overall_per_second=500, private_per_second=50, group_per_minute=6000
                )
                reports = await asyncio.gather(
                    *(Deliverer(store.outbox, bot, limits).drain(timeout=30) for store in stores)
                )
            sent = api.sent()
        assert sum(r.sent for r in reports) == 60
        assert all(r.sent > 0 for r in reports)  # both took part
        assert len(sent) == 60 and len({m.text for m in sent}) == 60  # each message once
        for chat in chats:  # in order within each chat
            assert [m.text for m in api.sent(chat)] == [
                f"<b>摘要</b> {chat} 第{i}条" for i in range(3)
            ]
    finally:
        for store in stores:
            store.close()


class _Leases(LeaseStore):
    """A lease table that can lose its database, or be taken by another holder."""

    def __init__(self) -> None:
        self.reachable = True
        self.other: str | None = None
        self.answer = threading.Event()  # cleared: calls hang, as over a dead network
        self.answer.set()

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        self.answer.wait(10)
        if not self.reachable:
            raise OSError("connection refused")
        return self.other is None

    def release(self, name: str, holder: str) -> bool:
        return True

    def get(self, name: str) -> Lease | None:
        return None


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_leader_that_cannot_renew_steps_down_before_its_lease_lapses() -> None:
    leases = _Leases()
    events: list[str] = []

    async def promote() -> None:
        events.append("promote")

    async def demote() -> None:
        events.append("demote")

    timing = LeaseTiming(ttl=0.6, renew_every=0.1)
    leadership = Leadership(leases, "me", promote, demote, lambda role: None, timing)
    stop = asyncio.Event()
    task = asyncio.create_task(leadership.run(stop))
    await _until(lambda: events == ["promote"])
    assert leadership.role == "leader"
    leases.reachable = False  # the database is gone: step down before the 0.6 s lapse
    lost = time.monotonic()
    await _until(lambda: leadership.role == "standby")
    assert time.monotonic() - lost < timing.ttl
    assert events == ["promote", "demote"]
    leases.reachable = True  # back, and nobody took it: lead again
    await _until(lambda: leadership.role == "leader")
    leases.other = "them"  # another instance holds it now: step down at once
    await _until(lambda: leadership.role == "standby")
    assert events == ["promote", "demote", "promote", "demote"]
    stop.set()
    await task
    await leadership.close()


async def test_a_leader_whose_database_hangs_steps_down_in_time() -> None:
    leases = _Leases()
    roles: list[str] = []

    async def nothing() -> None:
        pass

    timing = LeaseTiming(ttl=1.0, renew_every=0.3)
    leadership = Leadership(leases, "me", nothing, nothing, roles.append, timing)
    stop = asyncio.Event()
    task = asyncio.create_task(leadership.run(stop))
    await _until(lambda: roles == ["leader"])
    leases.answer.clear()  # every call hangs from now on
    hung = time.monotonic()
    await _until(lambda: roles == ["leader", "standby"])
    assert time.monotonic() - hung < timing.ttl  # before a standby could take the lease
    leases.answer.set()
    stop.set()
    await task
    await leadership.close()
