"""Shared send budget benchmark: how fast each backend reserves a send.

    python bench/bench_budget.py [--seconds 3] [--workers 4]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/15]

For each backend (memory, the database on SQLite and on PostgreSQL, Redis) and for 1
and 2 processes sharing it, every process runs ``--workers`` tasks for ``--seconds``
(the processes overlapping), each sending to a chat of its own through a
:class:`~newsbot.delivery.ratelimit.RateLimiter` with limits far above what the backend can
do (so nothing waits for a window, only for the backend): ``acquire`` (the
reservation: the limiter's own windows, then one atomic take in every shared window,
``all`` and the chat's) then ``release`` (its end stamp written in the background).
Reported: reservations per second of all processes together, and p50/p95 of one
reservation's latency. "none" is the limiter with no shared budget (one instance, as
today); memory is a shared budget within one process. Neither has a 2-process row.

PostgreSQL: a scratch database is created on the server ``--postgres`` names (default
``$NEWSBOT_TEST_POSTGRES_URL``) and dropped afterwards; Redis: keys under a prefix of
their own, deleted afterwards. A backend with no server is left out.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from newsbot.delivery.budget import MemoryBudget, RedisBudget, shared_budget  # noqa: E402
from newsbot.delivery.ratelimit import Rate, RateLimiter, RateLimits, SharedBudget  # noqa: E402
from newsbot.store import Store  # noqa: E402

LIMITS = RateLimits(overall=Rate(1_000_000, 1.0), private=Rate(1_000_000, 1.0), group=None)


PREFIX = f"newsbot-bench:{secrets.token_hex(3)}:"  # Redis keys of this run


async def _run(
    backend: str, url: str, prefix: str, seconds: float, workers: int, start_at: float
) -> list[float]:
    store = None
    budget: SharedBudget | None
    if backend == "none":
        budget = None
    elif backend == "memory":
        budget = MemoryBudget()
    elif backend == "redis":
        budget = RedisBudget.from_url(url, prefix)
    else:
        store = Store.open(url)
        found = shared_budget("database", store.dialect, store.budget, "")
        assert found is not None
        budget = found
    limiter = RateLimiter(LIMITS, shared=budget)
    latencies: list[float] = []

    async def worker(chat_id: int) -> None:
        while time.time() < start_at + seconds:
            began = time.perf_counter()
            ticket = await limiter.acquire(chat_id, "private")
            latencies.append(time.perf_counter() - began)
            limiter.release(ticket)

    await asyncio.sleep(max(0.0, start_at - time.time()))
    base = os.getpid() * 100
    await asyncio.gather(*(worker(base + w) for w in range(workers)))
    await limiter.aclose()
    if store is not None:
        store.close()
    return latencies


def _process(
    backend: str, url: str, prefix: str, seconds: float, workers: int, start_at: float
) -> list[float]:
    return asyncio.run(_run(backend, url, prefix, seconds, workers, start_at))


def _measure(
    backend: str, url: str, processes: int, seconds: float, workers: int
) -> tuple[float, float, float]:
    """(reservations/s in all, p50 ms, p95 ms)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        start_at = time.time() + 3.0  # every process imported and connected by then
        futures = [
            pool.submit(_process, backend, url, PREFIX, seconds, workers, start_at)
            for _ in range(processes)
        ]
        latencies = [lat for f in futures for lat in f.result()]
    quantiles = statistics.quantiles(latencies, n=100)
    return len(latencies) / seconds, quantiles[49] * 1000, quantiles[94] * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--workers", type=int, default=4, help="sends in flight per process")
    p.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL", ""))
    p.add_argument("--redis", default=os.environ.get("NEWSBOT_TEST_REDIS_URL", ""))
    args = p.parse_args()

    scratch = tempfile.TemporaryDirectory()
    sqlite_url = f"sqlite:///{Path(scratch.name) / 'budget.db'}"
    backends = [("none (the limiter alone)", ""), ("memory", ""), ("database (SQLite)", sqlite_url)]
    Store.open(sqlite_url).close()  # migrated once, before the processes race for it
    admin = None
    pg_name = f"newsbot_bench_budget_{secrets.token_hex(3)}"
    if args.postgres:
        server = make_url(args.postgres).set(drivername="postgresql+psycopg")
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        pg_url = server.set(database=pg_name).render_as_string(hide_password=False)
        Store.open(pg_url).close()
        backends.append(("database (PostgreSQL)", pg_url))
    if args.redis:
        backends.append(("Redis", args.redis))

    table = Table(title=f"Shared send budget: one reservation ({args.workers} workers/process)")
    for column in ("backend", "processes", "reservations/s", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    try:
        for label, url in backends:
            kind = {"memory": "memory", "Redis": "redis"}.get(label, "db")
            kind = "none" if label.startswith("none") else kind
            for processes in (1, 2):
                if kind in ("none", "memory") and processes == 2:
                    continue
                rate, p50, p95 = _measure(kind, url, processes, args.seconds, args.workers)
                table.add_row(label, str(processes), f"{rate:,.0f}", f"{p50:.2f}", f"{p95:.2f}")
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
        if args.redis:
            asyncio.run(_drop_redis(args.redis))
        scratch.cleanup()
    console = Console()
    console.print(table)
    console.print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.seconds:g} s per row"
    )


async def _drop_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=PREFIX + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


if __name__ == "__main__":
    main()
