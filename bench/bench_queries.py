"""Query benchmark: p50/p95 of /latest, /tag and /search from handler entry to rendered reply.

    python bench/bench_queries.py [--sizes 10000,100000] [--postgres URL] [--runs 200]

Synthetic stores are built once from ``gen_seeds`` (articles written straight to the
store, skipping page parsing and jieba, which ``bench_ingest.py`` measures) and cached
under ``bench/out/``. Each measured call is what a handler does after parsing its
arguments: the store query, the view, the template rendering and the paging buttons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gen_seeds

from newsbot.bot.context import Services
from newsbot.bot.reading import build_list_reply
from newsbot.config import Config
from newsbot.digests import DigestBuilder
from newsbot.models import ArticleIn
from newsbot.queries import ListRequest
from newsbot.render import Renderer
from newsbot.store import SeedFile, SeedRecord, Store

OUT = Path(__file__).resolve().parent / "out"
CHINA = dt.timezone(dt.timedelta(hours=8))


def synthetic_article(index: int, seed: int = 0) -> ArticleIn:
    parts = gen_seeds._parts(gen_seeds.page_rng(seed, index), index)
    body = tuple(p.removeprefix("@SUB@") for p in parts.body if p != "image.png")
    tags = tuple(dict.fromkeys([*parts.topic.breadcrumb[-1:], parts.place, *parts.keywords]))
    return ArticleIn(
        title=parts.title,
        body=body,
        summary=parts.summary,
        summary_generated=False,
        source=parts.source,
        published=parts.published.replace(tzinfo=CHINA),
        published_precision="second",
        author=parts.reporter,
        editor=parts.editor,
        breadcrumb=parts.topic.breadcrumb,
        keywords=tuple(parts.keywords),
        tags=tags[:8],
        url=None,
    )


def build_store(url: str, size: int) -> Store:
    store = Store.open(url)
    have = store.count_articles()
    if have >= size:
        return store
    with Progress(transient=True) as bar:
        task = bar.add_task(f"building {size:,} articles", total=size, completed=have)
        for start in range(have, size, 500):
            files = [
                SeedFile(
                    f"synthetic/{i}",
                    f"h{i}",
                    0,
                    (SeedRecord(f"synthetic/{i}", synthetic_article(i)),),
                )
                for i in range(start, min(size, start + 500))
            ]
            store.save_seed_files(files)
            bar.update(task, completed=start + len(files))
    return store


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm caches once
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def run(url: str, size: int, runs: int, table: Table, label: str) -> None:
    store = build_store(url, size)
    renderer = Renderer(ZoneInfo("Asia/Shanghai"))
    services = Services(Config(), store, renderer, DigestBuilder(store, renderer))
    rng = random.Random(7)
    popular = [t.tag for t in store.top_tags(30)]
    two_char = ["联合", "营商", "地铁", "学校", "环境", "创新", "市民", "公交"]
    four_char = ["优化服务", "城市更新", "乡村振兴", "绿色发展", "公共服务", "营商环境"]
    one_char = ["水", "车", "绿"]

    def reply(request: ListRequest) -> Callable[[], object]:
        return lambda: build_list_reply(services, "news_bot", request, "zh")

    cases: list[tuple[str, Callable[[], object], float]] = [
        ("/latest 5", reply(ListRequest("latest", (), 5)), 20),
        ("/latest 20, page 3", reply(ListRequest("latest", (), 20, 40)), 20),
        ("/tag <popular> 5", lambda: reply(ListRequest("tag", (rng.choice(popular),), 5))(), 20),
        ("/tag <rare> 5", lambda: reply(ListRequest("tag", (rng.choice(popular[-10:]),), 5))(), 20),
        ("/search 1-char", lambda: reply(ListRequest("search", (rng.choice(one_char),)))(), 100),
        ("/search 2-char", lambda: reply(ListRequest("search", (rng.choice(two_char),)))(), 100),
        ("/search 4-char", lambda: reply(ListRequest("search", (rng.choice(four_char),)))(), 100),
        (
            "/search 2 words",
            lambda: reply(ListRequest("search", (rng.choice(two_char), rng.choice(four_char))))(),
            100,
        ),
    ]
    for name, fn, target in cases:
        p50, p95 = measure(fn, runs)
        verdict = "PASS" if p95 <= target else "FAIL"
        table.add_row(
            label, f"{size:,}", name, f"{p50:.1f}", f"{p95:.1f}", f"< {target:.0f}", verdict
        )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="store sizes (comma separated)")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per query")
    parser.add_argument(
        "--postgres", metavar="URL", help="also run on this PostgreSQL database (kept as a cache)"
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    table = Table(title="newsbot query latency (ms), handler entry to rendered reply")
    for column in ("database", "articles", "query", "p50", "p95", "target p95", ""):
        table.add_column(
            column, justify="right" if column in {"articles", "p50", "p95"} else "left"
        )
    for size in (int(s) for s in args.sizes.split(",")):
        run(f"sqlite:///{OUT / f'queries_{size}.db'}", size, args.runs, table, "SQLite")
        if args.postgres:
            run(args.postgres.replace("{size}", str(size)), size, args.runs, table, "PostgreSQL")
    console = Console()
    console.print(table)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


if __name__ == "__main__":
    main()
