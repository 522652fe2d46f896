"""Operations: metrics after real events, /healthz 200 and 503, newsbot status, [ops]."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import telegram
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from newsbot.bot.replies import PerChatUpdates
from newsbot.cli import cli
from newsbot.config import Config, DatabaseConfig, FetchConfig, OpsConfig, load_config
from newsbot.delivery.sender import Deliverer
from newsbot.digest.workers import DigestWorkers
from newsbot.errors import ConfigError
from newsbot.ingest import ingest
from newsbot.models import SourceSpec
from newsbot.ops.metrics import Metrics
from newsbot.ops.server import OpsServer, serve_ops
from newsbot.sources.rounds import fetch_round
from newsbot.store import Store
from newsbot.store.engine import create_store_engine
from tests.factories import fill, make_article
from tests.fakebotapi import FakeBotApi
from tests.test_delivery import FAST, USER, Factory

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")

REPO = Path(__file__).resolve().parents[1]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/newsbot"  # nothing listens on port 1
REFUSED_CHAT = 1002
FLOODED_CHAT = 1003


def scrape(url: str) -> dict[str, float]:
    """``/metrics`` as {'name{label="v"}': value}."""
    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def ops(sqlite_url: str) -> Iterator[tuple[OpsServer, Store]]:
    store = Store.open(sqlite_url)
    server = OpsServer(store, role=lambda: "leader")
    yield server, store
    server.close()
    store.close()


def base(server: OpsServer) -> str:
    host, port = server.address
    return f"http://{host}:{port}"


# ------------------------------------------------------------------ metrics


def test_metrics_count_sends_failures_and_429s_through_the_fake_bot_api(
    ops: tuple[OpsServer, Store],
) -> None:
    server, store = ops
    factory = Factory(store.engine)
    factory.digest(USER, count=2)
    factory.digest(REFUSED_CHAT)
    factory.digest(FLOODED_CHAT)
    before = scrape(base(server))
    assert before["newsbot_outbox_pending"] == 4
    assert before["newsbot_outbox_oldest_age_seconds"] >= 0
    assert before['newsbot_role{role="leader"}'] == 1
    assert before["newsbot_database_up"] == 1

    async def deliver() -> None:
        with FakeBotApi() as api:
            for chat_id in (USER, REFUSED_CHAT, FLOODED_CHAT):
                api.add_private_chat(chat_id, f"reader {chat_id}")
            api.fail_next("sendMessage", chat_id=REFUSED_CHAT, description="Bad Request: nope")
            api.fail_next("sendMessage", chat_id=FLOODED_CHAT, error_code=429, retry_after=1)
            async with telegram.Bot(**api.bot_kwargs()) as bot:
                report = await Deliverer(store.outbox, bot, FAST).drain(timeout=20)
            assert (report.sent, report.failed, report.flood_waits) == (3, 1, 1)

    asyncio.run(deliver())
    after = scrape(base(server))
    assert after["newsbot_messages_sent_total"] - before["newsbot_messages_sent_total"] == 3
    assert after["newsbot_messages_failed_total"] - before["newsbot_messages_failed_total"] == 1
    assert after["newsbot_telegram_429_total"] - before["newsbot_telegram_429_total"] == 1
    assert after["newsbot_last_telegram_success_timestamp_seconds"] > 0
    assert after["newsbot_outbox_pending"] == 0
    assert after["newsbot_outbox_oldest_age_seconds"] == 0


def test_metrics_time_digests_and_updates_and_count_ingest_and_fetch_rounds(
    ops: tuple[OpsServer, Store], tmp_path: Path
) -> None:
    server, store = ops
    before = scrape(base(server))
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.json").write_text(
        json.dumps({"title": "高新区新闻", "body": "高新区今天开通了新的公交线路。" * 5}),
        encoding="utf-8",
    )
    (seeds / "broken.json").write_text("{not json", encoding="utf-8")
    report = ingest(store, [seeds])
    assert (report.new, report.failed) == (1, 1)

    store.sources.add(
        SourceSpec("city", "https://news.example.org/rss"),
        origin="cli",
        added_by="test",
        now=datetime.now(UTC),
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    config = FetchConfig(retries=0, host_delay_seconds=0, obey_robots=False)
    asyncio.run(fetch_round(store, tmp_path / "fetched", config, transport=transport))

    async def handle_update() -> None:
        await PerChatUpdates().do_process_update(object(), asyncio.sleep(0.01))

    asyncio.run(handle_update())
    after = scrape(base(server))

    def delta(key: str) -> float:
        return after[key] - before.get(key, 0.0)

    assert delta('newsbot_ingest_articles_total{outcome="new"}') == 1
    assert delta("newsbot_ingest_failed_files_total") == 1
    assert delta("newsbot_ingest_runs_total") == 1
    assert delta('newsbot_fetch_rounds_total{outcome="failed",source="city"}') == 1
    assert delta("newsbot_update_handling_seconds_count") == 1
    assert delta("newsbot_update_handling_seconds_sum") >= 0.01
    # Digest builds are timed in the parent, around the worker call.
    assert getattr(DigestWorkers.build, "__wrapped__", None) is not None
    assert "newsbot_digest_build_seconds_count" in after


def test_digest_build_timer_observes_each_call_even_when_it_fails() -> None:
    metrics = Metrics()  # a registry of its own: no clash with METRICS

    @metrics.timed_digest_build
    async def build(fail: bool) -> str:
        if fail:
            raise RuntimeError("boom")
        return "digest"

    assert asyncio.run(build(False)) == "digest"
    with pytest.raises(RuntimeError):
        asyncio.run(build(True))
    count = metrics.registry.get_sample_value("newsbot_digest_build_seconds_count")
    assert count == 2


# ------------------------------------------------------------------ /healthz


def test_healthz_is_200_with_role_outbox_and_last_success(ops: tuple[OpsServer, Store]) -> None:
    server, store = ops
    Factory(store.engine).digest(USER, count=3)
    status, body = get_json(f"{base(server)}/healthz")
    assert status == 200
    assert body["status"] == "ok" and body["role"] == "leader"
    assert body["database"] == {"reachable": True, "error": None}
    assert body["outbox"]["pending"] == 3 and body["outbox"]["oldest_age_seconds"] >= 0
    assert "last_telegram_ok" in body
    status, _ = get_json(f"{base(server)}/healthz?verbose=1")
    assert status == 200
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{base(server)}/nothing", timeout=10)
    assert caught.value.code == 404


def test_healthz_is_503_when_the_database_cannot_be_reached() -> None:
    store = Store(create_store_engine(UNREACHABLE))
    server = OpsServer(store)
    try:
        status, body = get_json(f"{base(server)}/healthz")
        assert status == 503
        assert body["status"] == "unhealthy" and body["role"] == "single"
        assert body["database"]["reachable"] is False
        assert "refused" in body["database"]["error"].lower()
        assert body["outbox"]["pending"] is None
        metrics = scrape(base(server))  # a scrape still answers, saying the database is down
        assert metrics["newsbot_database_up"] == 0
        assert "newsbot_outbox_pending" not in metrics
    finally:
        server.close()
        store.close()


@dataclass
class FakeServices:
    """What serve_ops reads of the bot's Services, with the leadership's additions."""

    config: Config
    store: Store
    role: str = "standby"
    last_telegram_ok: datetime | None = field(
        default_factory=lambda: datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
    )  # later than any send of this test process: /healthz shows the later one


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_ops_reads_role_and_last_success_from_services(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    try:
        off = FakeServices(Config(database=DatabaseConfig(sqlite_url)), store)
        serve_ops(off)()  # port 0: off, and stopping it does nothing
        port = free_port()
        config = Config(database=DatabaseConfig(sqlite_url), ops=OpsConfig(port=port))
        services = FakeServices(config, store)
        stop = serve_ops(services)
        try:
            with pytest.raises(ConfigError, match=f"127.0.0.1:{port} cannot listen"):
                serve_ops(services)  # the port is taken
            status, body = get_json(f"http://127.0.0.1:{port}/healthz")
            assert status == 200
            assert body["role"] == "standby"
            assert body["last_telegram_ok"] == "2099-01-02T03:04:05+00:00"
        finally:
            stop()
    finally:
        store.close()


# ------------------------------------------------------------------ newsbot status


def _status(url: str, *args: str) -> tuple[int, str, str]:
    env = {"NEWSBOT_DATABASE_URL": url, "NEWSBOT_CONFIG": "", "NEWSBOT_TELEGRAM_TOKEN": ""}
    result = CliRunner().invoke(cli, ["status", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_status_prints_the_facts_and_json(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        fill(store, [make_article(1), make_article(2)])
        factory = Factory(store.engine)
        factory.digest(USER, count=2)
        store.sources.add(
            SourceSpec("city", "https://news.example.org/rss"),
            origin="cli",
            added_by="test",
            now=datetime.now(UTC),
        )
        now = datetime.now(UTC).replace(microsecond=0)
        assert store.leases.acquire("leader", "host-a:4242:beef", timedelta(seconds=25), now)
        until = now + timedelta(seconds=25)
    finally:
        store.close()

    code, out, _ = _status(db_url)
    assert code == 0, out
    assert "reachable, schema" in out
    assert "articles       2" in out
    assert "subscriptions  1 active, 0 inactive" in out
    assert "outbox         2 pending, oldest" in out
    assert "today          0 sent, 0 failed" in out
    assert "leader         held by host-a:4242:beef until" in out
    assert "city [new]" in out

    code, out, _ = _status(db_url, "--json")
    assert code == 0
    found = json.loads(out)
    assert found["database"]["reachable"] is True
    assert found["database"]["schema"] == found["database"]["schema_head"]
    assert found["articles"] == 2
    assert found["subscriptions"] == {"active": 1, "inactive": 0}
    assert found["outbox"]["pending"] == 2 and found["outbox"]["oldest_age_seconds"] >= 0
    assert found["today"] == {"sent": 0, "failed": 0, "flood_waits": 0}
    assert [s["name"] for s in found["sources"]] == ["city"]
    assert found["leader"]["holder"] == "host-a:4242:beef"
    assert datetime.fromisoformat(found["leader"]["until"]) == until


def test_status_exits_3_when_the_database_cannot_be_used() -> None:
    code, out, err = _status(UNREACHABLE)
    assert code == 3 and out == ""
    assert err.startswith("error: database: postgresql://postgres@127.0.0.1:1/newsbot")
    code, out, _ = _status(UNREACHABLE, "--json")
    assert code == 3 and out == ""


# ------------------------------------------------------------------ config, deployment


def test_ops_config_keys_env_and_errors(tmp_path: Path) -> None:
    assert load_config(env={}).ops == OpsConfig(listen="127.0.0.1", port=0)
    path = tmp_path / "config.toml"
    path.write_text('[ops]\nlisten = "0.0.0.0"\nport = 9100\n', encoding="utf-8")
    assert load_config(path, env={}).ops == OpsConfig("0.0.0.0", 9100)
    env = {"NEWSBOT_OPS_PORT": "9200", "NEWSBOT_OPS_LISTEN": "::"}
    assert load_config(path, env=env).ops == OpsConfig("::", 9200)
    with pytest.raises(ConfigError, match=r"ops\.port"):
        load_config(path, env={"NEWSBOT_OPS_PORT": "70000"})
    with pytest.raises(ConfigError, match="NEWSBOT_OPS_PORT"):
        load_config(path, env={"NEWSBOT_OPS_PORT": "nine"})
    path.write_text("[ops]\nport = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ops\.port must be a whole number"):
        load_config(path, env={})


def test_compose_example_runs_postgres_and_two_instances_with_their_ops_ports() -> None:
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in dockerfile and "pip install" in dockerfile
    # No YAML parser is installed: read the keys of the top-level "services:" block.
    top = compose.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    services = [
        line.strip()
        for line in top.splitlines()
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":")
    ]
    assert services == ["postgres:", "newsbot-1:", "newsbot-2:"]
    assert compose.count("NEWSBOT_DATABASE_URL") >= 1 and "NEWSBOT_TELEGRAM_TOKEN" in compose
    assert '"9101:9100"' in compose and '"9102:9100"' in compose
    assert "NEWSBOT_OPS_PORT" in compose and "NEWSBOT_OPS_LISTEN" in compose
    assert "\t" not in compose  # YAML forbids tabs for indentation
