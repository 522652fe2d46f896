"""Benchmark of the live-source fetcher: 1,000 generated pages from local servers.

One threaded HTTP server per host name (127.0.0.1, 127.0.0.2, ... all reach loopback
on Linux) serves ~30 KB HTML pages and notes when each request arrives. Each
configuration runs the client in a fresh process (so its peak RSS is its own),
fetching every page at once through one ``Fetcher``; the fetcher spaces requests
to each host. The table shows throughput, the client's peak RSS and the smallest
gap the *servers* saw between two request arrivals at one host (robots.txt
included), which must not be below the configured delay.

    .venv/bin/python bench/bench_fetch.py [--pages 1000] [--hosts 20] [--delays 1.0,0.05]

Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

TEXT = "广州高新区营商环境改革发布会企业服务创新项目投资政策市民交通教育医疗"


def page(n: int, size: int) -> bytes:
    """A deterministic HTML page of about ``size`` bytes."""
    rng = random.Random(n)
    parts = [f"<html><head><title>新闻 {n}</title></head><body><h1>新闻 {n}</h1>"]
    total = 0
    while total < size:
        words = (TEXT[i : i + rng.randint(2, 4)] for i in rng.choices(range(len(TEXT) - 4), k=40))
        para = "<p>" + "，".join(words) + "。</p>\n"
        parts.append(para)
        total += len(para.encode())
    parts.append("</body></html>")
    return "".join(parts).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _Server

    def do_GET(self) -> None:
        self.server.note(time.monotonic())
        if self.path.startswith("/p/"):
            body = self.server.pages[int(self.path[3:])]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:  # robots.txt and anything else: missing
            body = b"not here"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, pages: dict[int, bytes]) -> None:
        super().__init__((host, 0), _Handler)
        self.host, self.port = host, int(self.server_address[1])
        self.pages = pages
        self.arrivals: list[float] = []
        self._lock = threading.Lock()

    def note(self, at: float) -> None:
        with self._lock:
            self.arrivals.append(at)

    def take(self) -> list[float]:
        with self._lock:
            arrivals, self.arrivals = self.arrivals, []
        return sorted(arrivals)


# -- the client, run in its own process ----------------------------------------------------


async def _client(urls: list[str], delay: float) -> dict[str, float]:
    from newsbot.sources.fetch import Fetcher, FetchPolicy

    policy = FetchPolicy(host_delay=delay, retries=1, backoff=0.1)
    started = time.perf_counter()
    async with Fetcher(policy) as fetcher:
        got = await asyncio.gather(*(fetcher.get(u) for u in urls), return_exceptions=True)
    seconds = time.perf_counter() - started
    bodies = [g.body for g in got if not isinstance(g, BaseException)]
    return {
        "seconds": seconds,
        "ok": len(bodies),
        "failed": len(got) - len(bodies),
        "bytes": sum(len(b) for b in bodies),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run_client(urls: list[str], delay: float) -> dict[str, float]:
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--client", str(delay)],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


# -- the table -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--page-kb", type=int, default=30)
    parser.add_argument("--delays", default="1.0,0.05,0", help="host delays to run, in seconds")
    parser.add_argument("--client", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        print(json.dumps(asyncio.run(_client(json.load(sys.stdin), args.client))))
        return

    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    pages = {n: page(n, args.page_kb * 1000) for n in range(args.pages)}  # made before timing
    servers = [_Server(f"127.0.0.{i + 1}", pages) for i in range(args.hosts)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = []
    for n in range(args.pages):
        server = servers[n % len(servers)]
        urls.append(f"http://{server.host}:{server.port}/p/{n}")

    head = (
        f"{'delay s':>7} {'pages':>6} {'hosts':>5} {'failed':>6} {'seconds':>8} {'pages/s':>8} "
        f"{'MB/s':>6} {'peak RSS MB':>11} {'min gap s':>9}"
    )
    print(head)
    print("-" * len(head))
    try:
        for delay in (float(d) for d in args.delays.split(",")):
            result = _run_client(urls, delay)
            gaps: dict[int, list[float]] = defaultdict(list)
            for i, server in enumerate(servers):
                gaps[i] = [b - a for a, b in pairwise(server.take())]
            min_gap = min(g for host_gaps in gaps.values() for g in host_gaps)
            seconds = result["seconds"]
            print(
                f"{delay:>7g} {args.pages:>6} {len(servers):>5} {int(result['failed']):>6} "
                f"{seconds:>8.1f} {result['ok'] / seconds:>8.1f} "
                f"{result['bytes'] / 1e6 / seconds:>6.2f} {result['peak_rss_mb']:>11.0f} "
                f"{min_gap:>9.3f}"
            )
    finally:
        for server in servers:
            server.shutdown()


if __name__ == "__main__":
    main()
