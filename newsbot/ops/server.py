"""The operators' HTTP endpoint: ``/metrics`` (Prometheus) and ``/healthz`` (JSON).

A small threaded ``http.server`` beside the bot, not inside its event loop: it answers
while the loop is busy or not yet running (the first ingest, the wait for the Bot
API), whatever role the process plays. Every database question goes to a small
thread pool with a deadline, so a database that hangs makes ``/healthz`` say 503 in
seconds instead of holding the scraper.

``/healthz`` is 200 while the database answers, else 503; its body names the role
(``services.role`` when the process has one — leader, standby — else ``single``),
the outbox depth and age, and the last time Telegram accepted a message.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from newsbot.config import Config, OpsConfig
from newsbot.errors import ConfigError
from newsbot.ops.metrics import METRICS, Metrics
from newsbot.ops.status import Health, check_health, outbox_backlog
from newsbot.store import Store

__all__ = ["OpsServer", "serve_ops"]

log = logging.getLogger(__name__)
DB_TIMEOUT = 3.0  # seconds the database may take to answer a scrape or a health check


class _Services(Protocol):
    config: Config
    store: Store


class _Forward(Collector):
    """Another registry's metrics, served as part of this one."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.source = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()


class _StoreCollector(Collector):
    """Figures read from the database at each scrape, and this instance's role."""

    def __init__(self, server: OpsServer) -> None:
        self.server = server

    def collect(self) -> Iterator[Metric]:
        role = GaugeMetricFamily("newsbot_role", "This instance's role (1)", labels=["role"])
        role.add_metric([self.server.role()], 1)
        yield role
        up = GaugeMetricFamily("newsbot_database_up", "1 when the database answered the scrape")
        try:
            pending, age = outbox_backlog(self.server.store, self.server.executor, DB_TIMEOUT)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("metrics: the database did not answer: %s", " ".join(str(exc).split()))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "newsbot_outbox_pending", "Messages waiting in the outbox", value=pending
        )
        yield GaugeMetricFamily(
            "newsbot_outbox_oldest_age_seconds",
            "Age of the oldest pending message's digest (0: none pending)",
            value=age or 0.0,
        )


class OpsServer:
    """``/metrics`` and ``/healthz`` on ``listen:port`` (port 0: any free port) in a
    thread; :meth:`close` stops it."""

    def __init__(
        self,
        store: Store,
        listen: str = "127.0.0.1",
        port: int = 0,
        *,
        role: Callable[[], str] = lambda: "single",
        last_telegram_ok: Callable[[], datetime | None] | None = None,
        metrics: Metrics = METRICS,
    ) -> None:
        self.store = store
        self.role = role
        self.metrics = metrics
        self._last_ok = last_telegram_ok
        self.executor = ThreadPoolExecutor(2, thread_name_prefix="ops-db")
        self.registry = CollectorRegistry()
        self.registry.register(_Forward(metrics.registry))
        self.registry.register(_StoreCollector(self))
        try:
            self.httpd = ThreadingHTTPServer((listen, port), _Handler)
        except OSError as exc:
            self.executor.shutdown(wait=False)
            raise ConfigError(
                f"ops endpoint {listen}:{port} cannot listen: {exc.strerror or exc}"
            ) from None
        self.httpd.daemon_threads = True
        self.httpd.ops = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="ops-http"
        )
        self._thread.daemon = True
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def last_telegram_ok(self) -> datetime | None:
        """The later of what the process reports (``last_telegram_ok``: polls, replies)
        and the last message the outbox got accepted."""
        stamp = self.metrics.last_success()
        known = [datetime.fromtimestamp(stamp, UTC)] if stamp is not None else []
        reported = self._last_ok() if self._last_ok is not None else None
        if reported is not None:
            known.append(reported)
        return max(known, default=None)

    def health(self) -> Health:
        return check_health(
            self.store,
            self.executor,
            role=self.role(),
            last_telegram_ok=self.last_telegram_ok(),
            timeout=DB_TIMEOUT,
        )

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
        self.executor.shutdown(wait=False, cancel_futures=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "newsbot-ops"

    def do_GET(self) -> None:
        ops: OpsServer = self.server.ops  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, content_type, encoder(ops.registry))
        elif path == "/healthz":
            health = ops.health()
            body = json.dumps(health.as_dict(), ensure_ascii=False).encode("utf-8")
            self._send(200 if health.healthy else 503, "application/json", body)
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /metrics or /healthz\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("ops %s: " + format, self.client_address[0], *args)


def _role_of(services: object) -> str:
    """``services.role`` (a string, or a callable giving one) when set, else ``single``."""
    role = getattr(services, "role", None)
    if callable(role):
        role = role()
    return str(role) if role else "single"


def _last_ok_of(services: object) -> datetime | None:
    value = getattr(services, "last_telegram_ok", None)
    if callable(value):
        value = value()
    if isinstance(value, int | float) and value:
        return datetime.fromtimestamp(value, UTC)
    return value if isinstance(value, datetime) else None


def serve_ops(services: _Services, config: OpsConfig | None = None) -> Callable[[], None]:
    """Start the endpoint of ``[ops]`` for ``services``; returns the function that
    stops it (which does nothing when ``port`` is 0: the endpoint is off)."""
    ops = config or services.config.ops
    if not ops.port:
        return lambda: None
    server = OpsServer(
        services.store,
        ops.listen,
        ops.port,
        role=lambda: _role_of(services),
        last_telegram_ok=lambda: _last_ok_of(services),
    )
    host, port = server.address
    log.info("ops endpoint on http://%s:%d/metrics and /healthz", host, port)
    return server.close
