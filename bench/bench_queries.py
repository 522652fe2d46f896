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
from sqlalchemy import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gen_seeds

from newsbot.bot.context import Services
from newsbot.bot.reading import build_list_reply
from newsbot.config import Config
from newsbot.digest.builder import DigestBuilder
from newsbot.models import ArticleIn, Filters, SubscriptionSpec
from newsbot.queries import ListRequest
from newsbot.render import Renderer
from newsbot.store import SeedFile, SeedRecord, Store, schema
from newsbot.store.grams import index_grams
from newsbot.store.subscriptions import Actor

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


BASE = 20_000  # articles written through the store; larger stores repeat them in SQL


def build_store(url: str, size: int) -> Store:
    """A store of ``size`` articles: up to ``BASE`` written through the store, the rest
    copies of those made with set-based SQL (new pk, id, fingerprint, origin and dates;
    see :func:`copy_articles`)."""
    store = Store.open(url)
    have = store.count_articles()
    if have >= size:
        return store
    base = min(size, BASE)
    if have < base:
        with Progress(transient=True) as bar:
            task = bar.add_task(f"writing {base:,} articles", total=base, completed=have)
            for start in range(have, base, 500):
                files = [
                    SeedFile(
                        f"synthetic/{i}",
                        f"h{i}",
                        0,
                        (SeedRecord(f"synthetic/{i}", synthetic_article(i)),),
                    )
                    for i in range(start, min(base, start + 500))
                ]
                store.save_seed_files(files)
                bar.update(task, completed=start + len(files))
    if size > base:
        t0 = time.perf_counter()
        copy_articles(store, base, size // base)
        print(f"copied to {size:,} articles in {time.perf_counter() - t0:.0f} s")
    return store


def copy_articles(store: Store, base: int, copies: int) -> None:
    """Fill the store with ``copies - 1`` copies of its first ``base`` articles."""
    pg = store.dialect == "postgresql"
    # Copy k of an article is dated k/copies of the base's date range later, wrapping
    # round: the copies spread over the range, and the newest rows of the store are as
    # varied as the base's (a copy a few hours from its original would fill the newest
    # rows with a few articles' copies). Dates move by whole seconds, per row of any
    # table with a sort_at.
    when = "extract(epoch from {})::bigint" if pg else "CAST(strftime('%s', {}) AS INTEGER)"
    with store.engine.connect() as conn:
        lo, hi = conn.exec_driver_sql(
            f"SELECT {when.format('min(sort_at)')}, {when.format('max(sort_at)')}"
            f" FROM articles WHERE pk <= {base}"
        ).one()
    span = hi - lo + 1
    now = when.format("sort_at")
    wrap = f"mod({now} - {lo} + k * {span // copies}, {span})"  # no '%': psycopg's mark
    delta = f"({lo} + {wrap} - {now})"
    if pg:
        moved = ("{} + " + delta + " * interval '1 second'").format
    else:  # as SQLAlchemy stores datetimes on SQLite
        moved = (
            "strftime('%Y-%m-%d %H:%M:%S', {}, printf('%+d seconds', " + delta + ")) || '.000000'"
        ).format
    expr = {
        "pk": f"pk + k * {base}",
        "id": "id || lpad(k::text, 3, '0')" if pg else "id || printf('%03d', k)",
        "fingerprint": "substr(fingerprint, 1, 56) || lpad(k::text, 8, '0')"
        if pg
        else "substr(fingerprint, 1, 56) || printf('%08d', k)",
        "sort_at": moved("sort_at"),
        "published": moved("published"),
        "ingested_at": moved("ingested_at"),
    }
    series = (
        f"generate_series(1, {copies - 1}) AS s(k)"
        if pg
        else f"(WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s"
        f" WHERE k < {copies - 1}) SELECT k FROM s) AS s"
    )
    columns = [c.name for c in schema.articles.columns]
    selected = ", ".join(expr.get(c, c) for c in columns)
    with store.engine.begin() as conn:
        run = conn.exec_driver_sql
        run(
            f"INSERT INTO articles ({', '.join(columns)}) SELECT {selected}"
            f" FROM articles, {series} WHERE pk <= {base}"
        )
        run(
            "INSERT INTO article_tags (article_pk, tag_pk, position, sort_at)"
            f" SELECT article_pk + k * {base}, tag_pk, position, {moved('sort_at')}"
            f" FROM article_tags, {series} WHERE article_pk <= {base}"
        )
        run(
            "INSERT INTO seed_origins (origin, article_pk)"
            f" SELECT origin || '#' || k, article_pk + k * {base}"
            f" FROM seed_origins, {series} WHERE article_pk <= {base}"
        )
        copy_search_index(conn, base, series, moved)
        run(
            "UPDATE tags SET article_count ="
            " (SELECT count(*) FROM article_tags WHERE tag_pk = tags.pk)"
        )
        if pg:
            run("SELECT setval(pg_get_serial_sequence('articles', 'pk'), max(pk)) FROM articles")
    with store.engine.connect() as conn:
        if pg:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def copy_search_index(
    conn: Connection, base: int, series: str, moved: Callable[[str], str]
) -> None:
    """Index the copies: gram arrays copied on PostgreSQL; on SQLite the contentless
    FTS5 tables are fed the base articles' grams again (they cannot be read back)."""
    run = conn.exec_driver_sql
    if conn.dialect.name == "postgresql":
        # GIN indexes are far quicker built once than updated row by row.
        gin = run(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'article_search' AND indexdef ~ 'USING gin'"
        ).all()
        for name, _ in gin:
            run(f"DROP INDEX {name}")
        run(
            "INSERT INTO article_search (article_pk, sort_at, grams, title_grams)"
            f" SELECT article_pk + k * {base}, {moved('sort_at')}, grams, title_grams"
            f" FROM article_search, {series} WHERE article_pk <= {base}"
        )
        run("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in gin:
            run(definition)
        return
    run("CREATE TEMP TABLE base_grams (pk INTEGER PRIMARY KEY, grams TEXT, title TEXT)")
    rows = conn.exec_driver_sql(
        f"SELECT pk, search_text, title_norm FROM articles WHERE pk <= {base}"
    ).all()
    conn.exec_driver_sql(
        "INSERT INTO base_grams VALUES (?, ?, ?)",
        [
            (pk, " ".join(sorted(index_grams(t))), " ".join(sorted(index_grams(title))))
            for pk, t, title in rows
        ],
    )
    for table, column in (("article_fts", "grams"), ("title_fts", "title")):
        run(
            f"INSERT INTO {table} (rowid, grams)"
            f" SELECT pk + k * {base}, {column} FROM base_grams, {series}"
        )
    run("DROP TABLE base_grams")


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
        ("/search 1-char", lambda: reply(ListRequest("search", (rng.choice(one_char),)))(), 50),
        ("/search 2-char", lambda: reply(ListRequest("search", (rng.choice(two_char),)))(), 50),
        ("/search 4-char", lambda: reply(ListRequest("search", (rng.choice(four_char),)))(), 50),
        (
            "/search 2 words",
            lambda: reply(ListRequest("search", (rng.choice(two_char), rng.choice(four_char))))(),
            50,
        ),
    ]
    for name, fn, target in cases:
        p50, p95 = measure(fn, runs)
        add_row(table, label, size, name, p50, p95, target)
    for name, times in digest_candidates(store, size).items():
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        add_row(table, label, size, name, statistics.median(times), p95, 5)
    table.add_row(
        label,
        f"{size:,}",
        "bytes per article",
        f"{stored_bytes(store) / store.count_articles():,.0f}",
        "",
        "",
        "",
    )
    store.close()


def add_row(
    table: Table, label: str, size: int, name: str, p50: float, p95: float, target: float
) -> None:
    verdict = "PASS" if p95 <= target else "FAIL"
    table.add_row(label, f"{size:,}", name, f"{p50:.1f}", f"{p95:.1f}", f"< {target:.0f}", verdict)


def digest_candidates(store: Store, size: int) -> dict[str, list[float]]:
    """Digest candidate selection (``SubscriptionStore.candidates``) for 100 subscriptions
    of four kinds: a first digest, and one after an ingest of 100 new articles."""
    with store.engine.begin() as conn:  # the bench's own subscriptions only
        conn.exec_driver_sql("DELETE FROM subscriptions WHERE chat_id >= 900000000")
    if store.count_articles() == size:  # the 100 new articles, one ingest, kept
        store.save_seed_files(
            [
                SeedFile(f"new/{i}", f"n{i}", 0, (SeedRecord(f"new/{i}", synthetic_article(i)),))
                for i in range(size, size + 100)
            ]
        )
    with store.engine.connect() as conn:
        last = int(conn.exec_driver_sql("SELECT max(ingest_seq) FROM articles").scalar_one())
    tags = [t.tag for t in store.top_tags(60)][10:]
    now = dt.datetime.now(dt.UTC)
    subs = []
    for i in range(100):
        a, b, c = tags[i % 50], tags[(i * 7 + 3) % 50], tags[(i * 13 + 5) % 50]
        filters = [
            Filters(tags=(a,)),
            Filters(tags=(a, b), exclude=(c,)),
            Filters(include=(a,)),
            Filters(tags=(a,), include=(b,)),
        ][i % 4]
        subs.append(
            store.subscriptions.create(
                chat_id=900000000 + i,
                chat_type="private",
                chat_title="bench",
                spec=SubscriptionSpec(filters=filters),
                language="zh",
                actor=Actor(None, "bench"),
                now=now,
            )
        )
    times: dict[str, list[float]] = {}
    for name, cursor in (("digest: first", None), ("digest: after 100 new", last - 1)):
        with store.engine.begin() as conn:
            value = "NULL" if cursor is None else str(cursor)
            conn.exec_driver_sql(
                f"UPDATE subscriptions SET cursor_seq = {value} WHERE chat_id >= 900000000"
            )
        for sub in subs[:8]:  # warm caches once
            store.subscriptions.candidates(sub, now)
        runs = []
        for sub in subs:
            t0 = time.perf_counter()
            store.subscriptions.candidates(sub, now)
            runs.append((time.perf_counter() - t0) * 1000)
        times[name] = runs
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM subscriptions WHERE chat_id >= 900000000")
    return times


def stored_bytes(store: Store) -> int:
    """The database's size on disk (SQLite: the file and its WAL)."""
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            return int(
                conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
            )
    path = Path(store.engine.url.database or "")
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="store sizes (comma separated)")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per query")
    parser.add_argument(
        "--postgres", metavar="URL", help="also run on this PostgreSQL database (kept as a cache)"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    table = Table(title="newsbot query latency (ms), handler entry to rendered reply")
    for column in ("database", "articles", "query", "p50", "p95", "target p95", ""):
        table.add_column(
            column, justify="right" if column in {"articles", "p50", "p95"} else "left"
        )
    for size in (int(s) for s in args.sizes.split(",")):
        if not args.skip_sqlite:
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
