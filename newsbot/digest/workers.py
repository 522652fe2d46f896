"""Where digests are built: in worker processes, so a fan-out uses another core.

Choosing, rendering and recording a digest is CPU-bound Python (about 2 ms each);
at 08:00 thousands fall due at once while the outbox is sending. Built in the
event loop's process they compete with the sends for one interpreter; in a worker
process they run on another core. ``processes = 0`` builds in a thread instead
(tests, tiny deployments). Workers open their own connection to the same
database; the digest's unique slot keeps two builders from recording it twice.

A worker that dies (killed, out of memory) breaks its pool: the pool is rebuilt
and the build tried again, with a log line, so one dead process never stops the
scheduled digests. A build that breaks a fresh pool too is given up (logged).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from newsbot.config import Config
from newsbot.digest.builder import DigestBuilder
from newsbot.models import Subscription
from newsbot.ops.metrics import METRICS
from newsbot.processes import ignore_interrupts
from newsbot.store.subscriptions import DigestRecord

__all__ = ["DigestWorkers"]

log = logging.getLogger(__name__)
_TRIES = 3  # pools a build may break before it is given up

_worker: tuple[DigestBuilder, object] | None = None


def _start(config: Config) -> None:
    """Runs once in each worker process, of the first pool or a rebuilt one: Ctrl-C is
    left to the parent, then its own store and renderer."""
    global _worker
    ignore_interrupts()  # first: opening the store may take a while
    from newsbot.render import Renderer
    from newsbot.store import Store

    store = Store.open(config.database.url)
    renderer = Renderer(config.tz, config.bot.templates_dir or None)
    _worker = (DigestBuilder(store, renderer, nothing_new=config.digest.nothing_new_message), store)


def _ready() -> bool:
    return _worker is not None


def _build(
    subscription_id: int, slot: datetime, kind: str, now: datetime, bot_username: str | None
) -> DigestRecord | None:
    assert _worker is not None, "worker process not initialised"
    builder = _worker[0]
    sub = builder.store.subscriptions.get(subscription_id)
    if sub is None or not sub.active:
        return None
    return builder.build(sub, slot, kind, now, bot_username)


class DigestWorkers:
    """Builds digests off the event loop, in ``processes`` worker processes (0: a thread)."""

    def __init__(self, config: Config, builder: DigestBuilder, processes: int) -> None:
        self.config = config
        self.builder = builder
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the bot's process has threads (HTTP, database, scheduler).
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self.config,),
            )
        return self._pool

    async def warm_up(self) -> None:
        """Start the worker processes now, so the first fan-out does not wait for them."""
        if self.processes > 0:
            loop = asyncio.get_running_loop()
            await asyncio.gather(
                *(loop.run_in_executor(self._ensure_pool(), _ready) for _ in range(self.processes))
            )

    @METRICS.timed_digest_build
    async def build(
        self,
        sub: Subscription,
        slot: datetime,
        kind: str,
        now: datetime,
        bot_username: str | None,
    ) -> DigestRecord | None:
        if self.processes <= 0:
            return await asyncio.to_thread(self.builder.build, sub, slot, kind, now, bot_username)
        loop = asyncio.get_running_loop()
        for attempt in range(1, _TRIES + 1):
            pool = self._ensure_pool()
            try:
                return await loop.run_in_executor(
                    pool, _build, sub.id, slot, kind, now, bot_username
                )
            except BrokenProcessPool:
                if attempt == _TRIES:
                    raise
                self._replace_broken(pool)
                log.warning(
                    "digest worker process died; pool rebuilt, building the digest of "
                    "subscription %s for %s again (try %d)",
                    sub.id,
                    slot.isoformat(),
                    attempt + 1,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _replace_broken(self, pool: ProcessPoolExecutor) -> None:
        """Drop a broken pool; the next build starts a new one. Builds that failed on the
        same pool at once replace it only once."""
        if self._pool is pool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
