"""Benchmark of live sources end to end: feed -> fetch -> seed store -> ingest -> store.

Two parts, both against local HTTP servers (nothing leaves the machine):

1. **Dev pages through a feed.** The 34 pages of ``../shared/dev-pages/html/`` are
   served as found, listed by an RSS feed that gives only their links (so the score
   is the page parse's own), added with ``sources add`` and fetched with one round;
   the stored articles are scored against ``truth.jsonl`` next to the text-dump
   parser. A second round is then run: it must only ask the feed conditionally.
2. **Throughput.** ``--pages`` generated news pages on ``--hosts`` host names
   (127.0.0.1, 127.0.0.2, ...), one source (feed) per host, fetched in one round with
   the configured per-host delay, then ingested. Prints seconds, pages/s, the
   process's peak RSS and the smallest gap the servers saw between two requests to
   one host (which must not be below the delay).

    .venv/bin/python bench/bench_sources.py [--pages 1000] [--hosts 20] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.config import FetchConfig  # noqa: E402
from newsbot.ingest import ingest  # noqa: E402
from newsbot.models import SourceSpec  # noqa: E402
from newsbot.sources.entries import Entry  # noqa: E402
from newsbot.sources.feeds import write_rss  # noqa: E402
from newsbot.sources.manage import add_source  # noqa: E402
from newsbot.sources.rounds import fetch_round  # noqa: E402
from newsbot.store import Store  # noqa: E402
from tests.test_devpages import CHECKS, DEV_PAGES, FIELDS, evaluate, load_truth  # noqa: E402

Route = Callable[[str], tuple[bytes, str] | None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Site

    def do_GET(self) -> None:
        self.server.note(self.path, self.headers.get("If-None-Match"))
        found = self.server.route(self.path)
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, kind = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, route: Route) -> None:
        super().__init__((host, 0), _Handler)
        self.route = route
        self.requests: list[tuple[float, str, bool]] = []  # (arrival, path, conditional)
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def note(self, path: str, conditional: str | None) -> None:
        with self._lock:
            self.requests.append((time.monotonic(), path, conditional is not None))

    def url(self, path: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{path}"


# ---------------------------------------------------------------------- part 1


def dev_pages(config: FetchConfig) -> None:
    truths = {t["file"]: t for t in load_truth()}
    files = {f"/html/{name.removesuffix('.txt')}.html": name for name in truths}
    site: Site

    def route(path: str) -> tuple[bytes, str] | None:
        if path == "/rss.xml":
            entries = [Entry(url=site.url(p)) for p in files]
            return write_rss("dev pages", site.url("/"), entries), "application/rss+xml"
        if path in files:
            return (DEV_PAGES / path.lstrip("/")).read_bytes(), "text/html"
        return None

    site = Site("127.0.0.1", route)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/n.db")
        seeds = Path(tmp) / "seeds"
        spec = SourceSpec("dev", site.url("/rss.xml"))
        asyncio.run(add_source(store, spec, origin="cli", added_by="bench", config=config))
        started = time.perf_counter()
        report = asyncio.run(fetch_round(store, seeds, config))
        fetched = time.perf_counter() - started
        ingested = ingest(store, report.paths)
        total = time.perf_counter() - started
        by_url = {a.url: a for a in store.latest(limit=100).articles}
        right = dict.fromkeys(FIELDS, 0)
        misses: dict[str, list[str]] = defaultdict(list)
        for path, name in files.items():
            article = by_url.get(site.url(path))
            for field in FIELDS:
                ok = article is not None and CHECKS[field](article, truths[name])
                right[field] += ok
                if not ok:
                    misses[field].append(name[:3])
        text = evaluate()
        site.requests.clear()
        later = datetime.now(UTC) + timedelta(days=1)
        again = asyncio.run(fetch_round(store, seeds, config, now=later))
        second = list(site.requests)
        store.close()
    site.shutdown()
    n = len(files)
    print(f"## Dev pages through a feed ({n} pages)")
    print(
        f"one round: fetch {fetched:.1f} s, fetch + ingest {total:.1f} s; "
        f"{ingested.new} articles stored, {ingested.failed} failed"
    )
    print(f"{'field':<11} {'fetched HTML':>12} {'text dumps':>11}  HTML misses")
    for field in FIELDS:
        good_t = sum(r.correct[field] for r in text)
        print(f"{field:<11} {right[field]:>8}/{n:<3} {good_t:>7}/{n:<3}  {' '.join(misses[field])}")
    all_h = sum(right.values())
    all_t = sum(sum(r.correct.values()) for r in text)
    print(
        f"{'overall':<11} {all_h:>8}/{n * len(FIELDS):<3} {all_t:>7}/{n * len(FIELDS):<3}"
        f"  {all_h / (n * len(FIELDS)):.1%} vs {all_t / (n * len(FIELDS)):.1%}"
    )
    conditional = sum(c for _, _, c in second)
    print(
        f"second round: {again.sources[0].line!r}; {len(second)} requests, "
        f"{conditional} conditional"
    )


# ---------------------------------------------------------------------- part 2

PARAGRAPH = (
    "记者从市发展改革委获悉，{n}号项目本周进入施工阶段，预计明年建成投用。"
    "项目建成后将新增就业岗位，带动周边商业和交通配套提升，市民出行更加便利。"
)


def article_page(n: int) -> bytes:
    body = "".join(f"<p>{PARAGRAPH.format(n=n)}第{k}段。</p>" for k in range(1, 9))
    day = 1 + n % 28
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>重点项目{n}开工_示例网</title>"
        f"</head><body><div class='nav'><a href='/'>首页</a> &gt; <a href='/n/'>本地</a></div>"
        f"<h1>重点项目{n}开工</h1><div class='info'>2024-05-{day:02d} 09:{n % 60:02d} "
        f"来源：示例日报 作者：记者{n % 7}</div><div class='content'>{body}</div>"
        "<p>责任编辑：周红</p><div class='footer'>版权所有 示例网</div></body></html>"
    ).encode()


def throughput(pages: int, hosts: int, config: FetchConfig) -> None:
    per_host = pages // hosts
    sites: list[Site] = []
    for h in range(hosts):
        base = h * per_host
        holder: list[Site] = []

        def route(
            path: str, base: int = base, holder: list[Site] = holder
        ) -> tuple[bytes, str] | None:
            if path == "/rss.xml":
                site = holder[0]
                entries = [Entry(url=site.url(f"/a/{base + i}.html")) for i in range(per_host)]
                return write_rss("示例网", site.url("/"), entries), "application/rss+xml"
            if path.startswith("/a/"):
                return article_page(int(path[3:].removesuffix(".html"))), "text/html; charset=utf-8"
            return None

        site = Site(f"127.0.0.{h + 1}", route)
        holder.append(site)
        sites.append(site)
    config = FetchConfig(
        host_delay_seconds=config.host_delay_seconds,
        retries=config.retries,
        max_pages_per_round=per_host,
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/n.db")
        now = datetime.now(UTC)
        for h, site in enumerate(sites):
            store.sources.add(
                SourceSpec(f"host{h + 1}", site.url("/rss.xml")),
                origin="cli",
                added_by="bench",
                now=now,
            )
        for site in sites:
            site.requests.clear()
        started = time.perf_counter()
        report = asyncio.run(fetch_round(store, Path(tmp) / "seeds", config))
        fetched = time.perf_counter() - started
        result = ingest(store, report.paths)
        ingested = time.perf_counter() - started - fetched
        store.close()
    gaps = [b - a for site in sites for a, b in pairwise(sorted(t for t, _, _ in site.requests))]
    for site in sites:
        site.shutdown()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n## Throughput ({report.stored} pages stored from {hosts} hosts, "
        f"delay {config.host_delay_seconds} s per host)"
    )
    print(f"{'step':<8} {'seconds':>8} {'pages/s':>8}")
    print(f"{'fetch':<8} {fetched:>8.1f} {report.stored / fetched:>8.1f}")
    print(f"{'ingest':<8} {ingested:>8.1f} {result.new / max(ingested, 1e-9):>8.1f}")
    print(
        f"peak RSS of the process: {rss_mb:.0f} MB; smallest gap between two requests "
        f"to one host: {min(gaps):.3f} s; {result.new} articles, {result.failed} failed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--delay", type=float, default=1.0, help="per-host delay, seconds")
    parser.add_argument("--skip-dev-pages", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}\n"
    )
    fast = FetchConfig(host_delay_seconds=0.0, retries=0)
    if not args.skip_dev_pages:
        dev_pages(fast)
    throughput(args.pages, args.hosts, FetchConfig(host_delay_seconds=args.delay, retries=0))


if __name__ == "__main__":
    main()
