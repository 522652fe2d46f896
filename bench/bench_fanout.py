"""Fan-out benchmark: one digest to N subscribed chats through the whole pipeline,
and digest building in a large store.

    python bench/bench_fanout.py [--chats 10000] [--limit 30] [--skip-limited]
    python bench/bench_fanout.py --builds-only [--articles 100000] [--subscriptions 1000]
        [--database URL]

Runs against the project's fake Bot API server (a real HTTP server on 127.0.0.1,
in this process) twice:

Digests are built the way the bot builds them at a digest time: one job per
subscription, in the digest worker process, while the outbox sends.

1. limits on: the server enforces Telegram's flood limits (``--limit`` messages/s
   overall, 1/s per chat) and newsbot's outbox is configured with the same limit;
   reports the sustained rate as a share of the limit (target >= 95%) and losses
   (target 0).
2. limits off: messages/s through the whole pipeline (select, render, record in
   the outbox, send, record delivery), next to bare python-telegram-bot
   ``sendMessage`` calls to the same server with the same concurrency, as a ratio
   (target >= 0.5); plus CPU time and peak memory per 10,000 messages.

The fake server runs in this process, so its CPU time is included in the figures.

3. digest builds: ``--subscriptions`` subscriptions with filters (tags, words,
   excluded words, mixed) over ``--articles`` synthetic articles (the store is built
   once and cached in ``bench/out/``, or in the database ``--database`` names, e.g.
   an empty PostgreSQL one): p50/p95/max of one digest build (choose, render, record
   in the outbox, as the digest worker does) for the first digest of each (the news
   of a day before the newest article), for the next after an ingest of 100 new
   articles, after 500 more, and for one with nothing new; target p95 <= 5 ms after
   new articles.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.config import Config, DatabaseConfig  # noqa: E402
from newsbot.delivery.sender import Deliverer, DeliveryLimits  # noqa: E402
from newsbot.digest.builder import DigestBuilder  # noqa: E402
from newsbot.digest.workers import DigestWorkers  # noqa: E402
from newsbot.models import Filters, Subscription, SubscriptionSpec  # noqa: E402
from newsbot.render import Renderer  # noqa: E402
from newsbot.store import SeedFile, SeedRecord, Store  # noqa: E402
from newsbot.store.subscriptions import Actor  # noqa: E402
from tests.factories import fill, make_article  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402
from tests.fakebotapi.server import FloodLimits, Rate  # noqa: E402

FIRST_CHAT = 10_000_000
OUT = ROOT / "bench" / "out"


def prepare(url: str, chats: int) -> Store:
    store = Store.open(url)
    fill(store, [make_article(n, tags=("城市", "交通")) for n in range(8)])
    now = datetime.now(UTC)
    for i in range(chats):
        store.subscriptions.create(
            chat_id=FIRST_CHAT + i,
            chat_type="private",
            chat_title=f"reader {i}",
            spec=SubscriptionSpec(max_items=5),
            language="zh",
            actor=Actor(None, "bench"),
            now=now,
        )
    return store


def cpu() -> float:
    """CPU seconds of this process and its finished children (the digest workers)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


async def pipeline(
    store: Store, url: str, api: FakeBotApi, limits: DeliveryLimits
) -> tuple[float, float, int]:
    """As the bot does at a digest time: every subscription's job builds its digest in
    the worker process while the outbox sends. (seconds, cpu seconds, messages)."""
    from telegram import Bot

    config = Config(database=DatabaseConfig(url=url))
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    workers = DigestWorkers(config, DigestBuilder(store, renderer), config.digest.build_processes)
    subs = store.subscriptions.all(active_only=True)
    bot = Bot(**api.bot_kwargs())
    async with bot:
        await workers.warm_up()
        deliverer = Deliverer(store.outbox, bot, limits)
        stop = asyncio.Event()
        sender = asyncio.create_task(deliverer.run(stop))
        started, cpu0 = time.perf_counter(), cpu()
        now = datetime.now(UTC)

        async def job(sub: Subscription) -> int:
            record = await workers.build(sub, now, "scheduled", now, "news_bot")
            if record is not None and record.messages:
                deliverer.notify()
            return record.messages if record else 0

        messages = sum(await asyncio.gather(*(job(s) for s in subs)))
        while await asyncio.to_thread(store.outbox.pending_count):
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started
        stop.set()
        await sender
    workers.close()  # a worker's CPU time is counted once it has exited
    return seconds, cpu() - cpu0, messages


async def bare(api: FakeBotApi, count: int, workers: int) -> float:
    """python-telegram-bot sendMessage calls alone, same server, same concurrency."""
    from telegram import Bot

    text = "<b>1.</b> 基准消息 " * 20
    bot = Bot(**api.bot_kwargs())
    async with bot:
        queue = list(range(count))
        started = time.perf_counter()

        async def worker() -> None:
            while queue:
                i = queue.pop()
                await bot.send_message(FIRST_CHAT + i, text, parse_mode="HTML")

        await asyncio.gather(*(worker() for _ in range(workers)))
        return time.perf_counter() - started


def run_limited(chats: int, limit: float, table: Table) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeBotApi(
            flood_limits=FloodLimits(overall=Rate(int(limit), 1.0), private_chat=Rate(1, 1.0))
        ) as api,
    ):
        for i in range(chats):
            api.add_private_chat(FIRST_CHAT + i)
        url = f"sqlite:///{tmp}/fanout.db"
        store = prepare(url, chats)
        limits = DeliveryLimits(overall_per_second=limit)
        seconds, _, messages = asyncio.run(pipeline(store, url, api, limits))
        delivered = {m.chat_id for m in api.sent()}
        lost = chats - len(delivered)
        repeats = len(api.sent()) - len(delivered)
        rate = messages / seconds
        table.add_row(
            "limits on",
            f"{chats:,} chats, server limit {limit:.0f}/s",
            f"{rate:.1f} msg/s = {rate / limit:.1%} of the limit; {api.throttled()} × 429",
            ">= 95%, 0 lost",
            "PASS" if rate / limit >= 0.95 and lost == 0 else "FAIL",
        )
        table.add_row(
            "",
            "lost / repeated",
            f"{lost} / {repeats}",
            "0 / 0",
            "PASS" if lost == repeats == 0 else "FAIL",
        )
        store.close()


def run_unlimited(chats: int, table: Table) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        for i in range(chats):
            api.add_private_chat(FIRST_CHAT + i)
        url = f"sqlite:///{tmp}/fanout.db"
        store = prepare(url, chats)
        limits = DeliveryLimits(enabled=False)
        seconds, cpu_seconds, messages = asyncio.run(pipeline(store, url, api, limits))
        rss_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        bare_seconds = asyncio.run(bare(api, chats, limits.workers))
        ours, theirs = messages / seconds, chats / bare_seconds
        per10k = 10_000 / messages
        table.add_row(
            "limits off",
            "whole pipeline",
            f"{ours:.0f} msg/s ({messages:,} in {seconds:.1f}s)",
            "",
            "",
        )
        table.add_row("", "bare PTB sendMessage", f"{theirs:.0f} msg/s", "", "")
        table.add_row(
            "",
            "pipeline / bare",
            f"{ours / theirs:.2f}",
            ">= 0.5",
            "PASS" if ours / theirs >= 0.5 else "FAIL",
        )
        table.add_row(
            "", "CPU per 10,000 messages", f"{cpu_seconds * per10k:.1f} s (server included)", "", ""
        )
        table.add_row(
            "",
            "peak memory",
            f"{rss_main / 1024:.0f} MB main (server included), {rss_worker / 1024:.0f} MB worker",
            "",
            "",
        )
        store.close()


def _reset_subscriptions(store: Store) -> None:
    from sqlalchemy import delete

    from newsbot.store.schema import audit_log, delivered, digests, outbox, subscriptions

    with store.engine.begin() as conn:
        for table in (outbox, delivered, digests, audit_log, subscriptions):
            conn.execute(delete(table))


def _filters(i: int, tags: list[str]) -> Filters:
    """A mix of what readers ask for: a tag, tags minus a word, a word, a tag and a word."""
    a, b, c = tags[i % len(tags)], tags[(i * 7 + 3) % len(tags)], tags[(i * 13 + 5) % len(tags)]
    return [
        Filters(tags=(a,)),
        Filters(tags=(a, b), exclude=(c,)),
        Filters(include=(a,)),
        Filters(tags=(a,), include=(b,)),
    ][i % 4]


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    """p50, p95 and max."""
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], times[-1]


def run_builds(articles: int, subscriptions: int, table: Table, url: str | None = None) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_queries import build_store, synthetic_article

    OUT.mkdir(exist_ok=True)
    store = build_store(url or f"sqlite:///{OUT / 'fanout_builds.db'}", articles)
    _reset_subscriptions(store)
    tags = [t.tag for t in store.top_tags(60)][10:]  # common, not the most common
    created = datetime.now(UTC) - timedelta(days=1)
    subs = [
        store.subscriptions.create(
            chat_id=FIRST_CHAT + i,
            chat_type="private",
            chat_title=f"reader {i}",
            spec=SubscriptionSpec(filters=_filters(i, tags), max_items=10),
            language="zh",
            actor=Actor(None, "bench"),
            now=created,
        )
        for i in range(subscriptions)
    ]
    builder = DigestBuilder(store, Renderer(ZoneInfo("Asia/Shanghai")))

    def round_(label: str, slot: datetime) -> None:
        # Wall time, and this thread's CPU time: on a machine shared with other work
        # the second shows the cost without the waits for a core.
        times, cpu_times, items = [], [], 0
        for sub in subs:
            started, cpu_started = time.perf_counter(), time.thread_time()
            record = builder.build(sub, slot, "scheduled", slot, "news_bot")
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.thread_time() - cpu_started) * 1000)
            items += record.items if record else 0
        p50, p95, most = _percentiles(times)
        cpu50, cpu95, _ = _percentiles(cpu_times)
        target = label.startswith("after")
        table.add_row(
            f"digest builds ({store.dialect})" if label.startswith("first") else "",
            f"{label}: {subscriptions:,} subscriptions, {store.count_articles():,} articles",
            f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {most:.1f} ms;"
            f" CPU p50 {cpu50:.2f}, p95 {cpu95:.2f} ms ({items / len(subs):.1f} items each)",
            "p95 <= 5 ms" if target else "",
            ("PASS" if p95 <= 5 else "FAIL") if target else "",
        )

    def ingest(count: int) -> None:
        start = store.count_articles() + 1_000_000  # fresh synthetic pages, new to the store
        store.save_seed_files(
            [
                SeedFile(f"new/{i}", f"n{i}", 0, (SeedRecord(f"new/{i}", synthetic_article(i, 1)),))
                for i in range(start, start + count)
            ]
        )

    now = datetime.now(UTC)
    round_("first digest (a day's news)", now)
    ingest(100)
    round_("after 100 new articles", now + timedelta(hours=1))
    ingest(500)
    round_("after 500 new articles", now + timedelta(hours=2))
    round_("nothing new", now + timedelta(hours=3))
    _reset_subscriptions(store)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument(
        "--limit", type=float, default=30.0, help="overall messages/s (server and outbox)"
    )
    parser.add_argument("--skip-limited", action="store_true", help="only the limits-off run")
    parser.add_argument("--builds-only", action="store_true", help="only the digest builds")
    parser.add_argument("--articles", type=int, default=100_000, help="store size for builds")
    parser.add_argument("--subscriptions", type=int, default=1000, help="for the builds")
    parser.add_argument(
        "--database", help="for the builds: a database URL (default: the cached SQLite store)"
    )
    args = parser.parse_args()
    table = Table(title=f"newsbot fan-out: one digest to {args.chats:,} chats")
    for column in ("run", "what", "measured", "target", ""):
        table.add_column(column)
    if not args.builds_only:
        run_unlimited(args.chats, table)
        if not args.skip_limited:
            run_limited(args.chats, args.limit, table)
    run_builds(args.articles, args.subscriptions, table, args.database)
    console = Console()
    console.print(table)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
