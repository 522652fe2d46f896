"""Fan-out benchmark: one digest to N subscribed chats through the whole pipeline.

    python bench/bench_fanout.py [--chats 10000] [--limit 30] [--skip-limited]

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
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.config import Config, DatabaseConfig  # noqa: E402
from newsbot.delivery import Deliverer, DeliveryLimits  # noqa: E402
from newsbot.digest_workers import DigestWorkers  # noqa: E402
from newsbot.digests import DigestBuilder  # noqa: E402
from newsbot.models import Subscription, SubscriptionSpec  # noqa: E402
from newsbot.render import Renderer  # noqa: E402
from newsbot.store import Store  # noqa: E402
from newsbot.store.subscriptions import Actor  # noqa: E402
from tests.factories import fill, make_article  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402
from tests.fakebotapi.server import FloodLimits, Rate  # noqa: E402

FIRST_CHAT = 10_000_000


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument(
        "--limit", type=float, default=30.0, help="overall messages/s (server and outbox)"
    )
    parser.add_argument("--skip-limited", action="store_true", help="only the limits-off run")
    args = parser.parse_args()
    table = Table(title=f"newsbot fan-out: one digest to {args.chats:,} chats")
    for column in ("run", "what", "measured", "target", ""):
        table.add_column(column)
    run_unlimited(args.chats, table)
    if not args.skip_limited:
        run_limited(args.chats, args.limit, table)
    console = Console()
    console.print(table)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
