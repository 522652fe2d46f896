"""Several instances on one database: who leads, and the webhook every instance serves.

Exactly one ``newsbot run`` (the *leader*) polls Telegram (or registers the webhook)
and runs the schedule and the periodic jobs; the others stand by. Leadership is a
lease row (:mod:`newsbot.store.leases`) renewed every ``renew_every`` seconds for
``ttl``: a leader that dies stops renewing and a standby takes over once the lease
has lapsed; a leader that cannot renew (the database is unreachable) steps down
before its lease lapses, so two never lead at once. Every instance sends from the
outbox whatever its role.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import Application

from newsbot.errors import InstanceConflictError
from newsbot.store.leases import LeaseStore, parse_holder

__all__ = ["LEADER", "Leadership", "LeaseTiming", "WebhookServer", "refuse_second_instance"]

log = logging.getLogger(__name__)

LEADER = "leader"  # the lease's name
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, slots=True)
class LeaseTiming:
    """How long a lease holds and how often it is renewed (a value, for tests)."""

    ttl: float = 15.0
    renew_every: float = 3.0

    @property
    def step_down_after(self) -> float:
        """Seconds without a renewal after which a leader steps down: before its lease
        lapses and a standby may take it."""
        return self.ttl - self.renew_every


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _alive_here(holder: str) -> bool:
    """False when ``holder`` names a process of this machine that no longer exists."""
    host, pid = parse_holder(holder)
    if host != socket.gethostname() or pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def refuse_second_instance(leases: LeaseStore, holder: str, timing: LeaseTiming) -> None:
    """On SQLite one instance runs per database: take the lease now, or raise
    :class:`InstanceConflictError` naming the live holder. A holder of this machine
    that died (kill -9) does not block a restart."""
    now = _utcnow()
    if leases.acquire(LEADER, holder, timedelta(seconds=timing.ttl), now):
        return
    current = leases.get(LEADER)
    if current is not None and not _alive_here(current.holder):
        leases.release(LEADER, current.holder)
        if leases.acquire(LEADER, holder, timedelta(seconds=timing.ttl), now):
            log.info("took over the lease of %s, which is no longer running", current.holder)
            return
        current = leases.get(LEADER)
    who = current.holder if current is not None else "another process"
    raise InstanceConflictError(
        f"another newsbot run ({who}) is using this SQLite database; "
        "several instances need PostgreSQL"
    )


class Leadership:
    """Keeps the lease and switches the role: ``promote`` when this process wins it,
    ``demote`` when it loses it. ``role`` is ``"leader"`` or ``"standby"``."""

    def __init__(
        self,
        leases: LeaseStore,
        holder: str,
        promote: Callable[[], Coroutine[Any, Any, None]],
        demote: Callable[[], Coroutine[Any, Any, None]],
        on_role: Callable[[str], None],
        timing: LeaseTiming | None = None,
    ) -> None:
        self.leases = leases
        self.holder = holder
        self.timing = timing or LeaseTiming()
        self._promote = promote
        self._demote = demote
        self._on_role = on_role
        self.role = "standby"
        self._renewed = 0.0  # monotonic time of the last renewal
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="lease")
        self._call: asyncio.Future[bool] | None = None
        self._promotion: asyncio.Task[None] | None = None
        self._trouble = False
        self._said_standby = False

    async def run(self, stop: asyncio.Event) -> None:
        """Try or renew the lease every ``renew_every`` seconds until ``stop``."""
        while not stop.is_set():
            won = await self._try(self._patience())
            if won:
                self._renewed = time.monotonic()
                if self.role == "standby":
                    self._set_role("leader", "won the lease")
                    self._promotion = asyncio.create_task(self._take_lead(), name="promote")
            elif self.role == "leader":
                lapsed = time.monotonic() - self._renewed >= self.timing.step_down_after
                if won is False:
                    await self.step_down("another instance holds the lease")
                elif lapsed:
                    await self.step_down("the lease could not be renewed")
            elif won is False and not self._said_standby:
                self._said_standby = True
                current = None
                with suppress(Exception):  # only for the log line
                    current = await asyncio.to_thread(self.leases.get, LEADER)
                leader = current.holder if current is not None else "another instance"
                log.info("role: standby (%s leads; %s)", leader, self.holder)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._patience())

    def _patience(self) -> float:
        """How long to wait now: ``renew_every``, but a leader that has not renewed
        looks again in time to step down before its lease lapses."""
        if self.role != "leader":
            return self.timing.renew_every
        left = self.timing.step_down_after - (time.monotonic() - self._renewed)
        return max(0.05, min(self.timing.renew_every, left))

    async def _take_lead(self) -> None:
        """The caller's ``promote``; should it fail (Telegram unreachable...), stand by
        and give the lease back, so this or another instance tries again."""
        try:
            await self._promote()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("taking the lead failed; standing by")
            self._promotion = None
            self._set_role("standby", "taking the lead failed")
            with suppress(Exception):
                await self._demote()
            with suppress(Exception):
                await asyncio.to_thread(self.leases.release, LEADER, self.holder)

    async def close(self) -> None:
        """On the way out: stop leading and give the lease back for a quick takeover."""
        if self.role == "leader":
            await self.step_down("stopping", announce=False)
            try:
                await asyncio.wait_for(
                    asyncio.get_running_loop().run_in_executor(
                        self._executor, self.leases.release, LEADER, self.holder
                    ),
                    self.timing.renew_every,
                )
            except Exception:  # it lapses by itself
                log.warning("could not give the lease back; it lapses in %gs", self.timing.ttl)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def step_down(self, why: str, *, announce: bool = True) -> None:
        """Stop polling and scheduling (the caller's ``demote``)."""
        if self._promotion is not None and not self._promotion.done():
            self._promotion.cancel()
            await asyncio.gather(self._promotion, return_exceptions=True)
        self._promotion = None
        self._said_standby = True
        if announce:
            self._set_role("standby", why)
        else:
            self.role = "standby"
            self._on_role("standby")
        await self._demote()

    async def _try(self, timeout: float) -> bool | None:
        """True: the lease is ours; False: another's; None: the database did not answer
        in time (a call still hanging is not repeated)."""
        if self._call is not None and not self._call.done():
            return None
        loop = asyncio.get_running_loop()
        self._call = loop.run_in_executor(
            self._executor,
            self.leases.acquire,
            LEADER,
            self.holder,
            timedelta(seconds=self.timing.ttl),
            _utcnow(),
        )
        try:
            won = await asyncio.wait_for(asyncio.shield(self._call), timeout)
        except TimeoutError:
            self._warn("the database did not answer in time")
            return None
        except Exception as exc:
            self._warn(" ".join(str(exc).split())[:200])
            return None
        self._trouble = False
        return won

    def _warn(self, why: str) -> None:
        if not self._trouble:
            log.warning("cannot reach the leader's lease (%s); trying again", why)
        self._trouble = True

    def _set_role(self, role: str, why: str) -> None:
        self.role = role
        self._on_role(role)
        log.info("role: %s (%s; %s)", role, why, self.holder)


class WebhookServer:
    """Telegram's webhook, served by every instance: a POST of one update, its secret
    token checked, put on the Application's update queue."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        listen: str,
        port: int,
        path: str,
        secret: str,
    ) -> None:
        self.app = app
        self.listen = listen
        self.port = port
        self.path = path if path.startswith("/") else f"/{path}"
        self.secret = secret
        self._server: Any = None

    async def start(self) -> None:
        from tornado.httpserver import HTTPServer
        from tornado.web import Application as TornadoApp
        from tornado.web import RequestHandler

        server = self

        class Handler(RequestHandler):
            async def post(self) -> None:
                await server._receive(self)

        self._server = HTTPServer(TornadoApp([(self.path, Handler)]), xheaders=True)
        self._server.listen(self.port, address=self.listen)
        log.info("webhook served on %s:%s%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    async def _receive(self, handler: Any) -> None:
        given = handler.request.headers.get(SECRET_HEADER, "")
        if self.secret and not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret token refused")
            handler.set_status(HTTPStatus.FORBIDDEN)
            return
        try:
            data = json.loads(handler.request.body)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            handler.set_status(HTTPStatus.BAD_REQUEST)
            return
        if update is None:
            handler.set_status(HTTPStatus.BAD_REQUEST)
            return
        await self.app.update_queue.put(update)
        handler.set_status(HTTPStatus.OK)
