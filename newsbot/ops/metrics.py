"""The process's Prometheus metrics, in a registry of their own.

Stages count where things happen, with one call each (``METRICS.delivery("sent")``,
``METRICS.ingested(report)``, ...). The registry is not prometheus-client's global
one, so nothing else in the process (a library, a second :class:`Metrics` in a test)
can collide with these names. What lives in the database (outbox depth and age) is
not counted here: :mod:`newsbot.ops.server` reads it from the store on each scrape.

Series (``_total`` is added to counters by the text format):

- ``newsbot_messages_sent_total``, ``newsbot_messages_failed_total`` (given up:
  refused by Telegram or out of retries), ``newsbot_messages_retried_total``
  (network errors, tried again later), ``newsbot_chats_deactivated_total``
- ``newsbot_telegram_429_total``: flood waits (429 Too Many Requests) obeyed
- ``newsbot_last_telegram_success_timestamp_seconds``: last message Telegram accepted
- ``newsbot_digest_build_seconds``: building one digest (choose, render, record)
- ``newsbot_ingest_articles_total{outcome=new|updated|unchanged}``,
  ``newsbot_ingest_failed_files_total``, ``newsbot_ingest_runs_total``
- ``newsbot_update_handling_seconds``: one Telegram update, handlers and replies
- ``newsbot_fetch_rounds_total{source, outcome=ok|not_modified|failed}``,
  ``newsbot_fetch_pages_total{outcome=stored|failed}``
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from newsbot.ingest import IngestReport
    from newsbot.sources.rounds import SourceReport

__all__ = ["METRICS", "Metrics"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Seconds: a digest takes milliseconds unless the database is busy; an update's
# reply may wait for its chat's flood limit (one message a second per chat).
_DIGEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Counters, gauges and histograms of one process, in :attr:`registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.messages_sent = Counter(
            "newsbot_messages_sent", "Outbox messages Telegram accepted", registry=r
        )
        self.messages_failed = Counter(
            "newsbot_messages_failed",
            "Outbox messages given up: refused by Telegram, or out of retries",
            registry=r,
        )
        self.messages_retried = Counter(
            "newsbot_messages_retried",
            "Outbox sends that failed on the network or Telegram's 5xx and wait for a retry",
            registry=r,
        )
        self.chats_deactivated = Counter(
            "newsbot_chats_deactivated",
            "Chats switched off because Telegram says the bot cannot reach them",
            registry=r,
        )
        self.flood_waits = Counter(
            "newsbot_telegram_429",
            "429 Too Many Requests from Telegram obeyed by the outbox (flood waits)",
            registry=r,
        )
        self.last_telegram_ok = Gauge(
            "newsbot_last_telegram_success_timestamp_seconds",
            "Unix time of the last message Telegram accepted (0: none yet)",
            registry=r,
        )
        self.digest_build = Histogram(
            "newsbot_digest_build_seconds",
            "Building one digest (choose, render, record), as the scheduler waits for it",
            buckets=_DIGEST_BUCKETS,
            registry=r,
        )
        self.ingest_articles = Counter(
            "newsbot_ingest_articles",
            "Articles met by ingest, by outcome (new, updated, unchanged)",
            ["outcome"],
            registry=r,
        )
        self.ingest_failed_files = Counter(
            "newsbot_ingest_failed_files", "Seed files ingest could not use", registry=r
        )
        self.ingest_runs = Counter("newsbot_ingest_runs", "Ingest runs finished", registry=r)
        self.update_handling = Histogram(
            "newsbot_update_handling_seconds",
            "Handling one Telegram update, its handlers and replies included",
            buckets=_UPDATE_BUCKETS,
            registry=r,
        )
        self.fetch_rounds = Counter(
            "newsbot_fetch_rounds",
            "Fetch rounds of live sources, by source and outcome (ok, not_modified, failed)",
            ["source", "outcome"],
            registry=r,
        )
        self.fetch_pages = Counter(
            "newsbot_fetch_pages",
            "Article pages of live sources, by outcome (stored, failed)",
            ["outcome"],
            registry=r,
        )
        self._last_ok: float | None = None
        for outcome in ("new", "updated", "unchanged"):
            self.ingest_articles.labels(outcome)  # present at 0 before the first ingest
        for outcome in ("stored", "failed"):
            self.fetch_pages.labels(outcome)

    # ------------------------------------------------------------ delivery

    def delivery(self, event: str) -> None:
        """Count one event of the outbox, named as :class:`newsbot.delivery.DrainReport`
        names its fields (``sent``, ``failed``, ``retried``, ``flood_waits``, ...)."""
        if event == "sent":
            self.messages_sent.inc()
            self._last_ok = time.time()
            self.last_telegram_ok.set(self._last_ok)
        elif event == "failed":
            self.messages_failed.inc()
        elif event == "retried":
            self.messages_retried.inc()
        elif event == "flood_waits":
            self.flood_waits.inc()
        elif event == "deactivated":
            self.chats_deactivated.inc()

    def last_success(self) -> float | None:
        """Unix time of the last message Telegram accepted, None before the first."""
        return self._last_ok

    # ------------------------------------------------------------ digests

    def timed_digest_build(
        self, build: Callable[_P, Coroutine[Any, Any, _T]]
    ) -> Callable[_P, Coroutine[Any, Any, _T]]:
        """Decorate an async digest build: each call's time goes to the histogram."""

        @functools.wraps(build)
        async def timed(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            started = time.perf_counter()
            try:
                return await build(*args, **kwargs)
            finally:
                self.digest_build.observe(time.perf_counter() - started)

        return timed

    # ------------------------------------------------------------ ingest, fetch

    def ingested(self, report: IngestReport) -> None:
        """Count one finished ingest run."""
        self.ingest_runs.inc()
        self.ingest_articles.labels("new").inc(report.new)
        self.ingest_articles.labels("updated").inc(report.updated)
        self.ingest_articles.labels("unchanged").inc(report.unchanged)
        self.ingest_failed_files.inc(report.failed)

    def fetched(self, report: SourceReport) -> None:
        """Count one source's fetch round."""
        outcome = "failed" if not report.ok else "not_modified" if report.not_modified else "ok"
        self.fetch_rounds.labels(report.source, outcome).inc()
        self.fetch_pages.labels("stored").inc(report.stored)
        self.fetch_pages.labels("failed").inc(report.failed)

    # ------------------------------------------------------------ updates

    async def timed_update(self, handling: Awaitable[_T]) -> _T:
        """Await the handling of one update, timing it."""
        started = time.perf_counter()
        try:
            return await handling
        finally:
            self.update_handling.observe(time.perf_counter() - started)


METRICS = Metrics()
"""This process's metrics; each ops endpoint serves them with its store's figures."""
