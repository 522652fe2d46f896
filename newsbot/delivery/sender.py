"""Delivery: drains the outbox to Telegram within its limits, and never loses a message.

Each message is marked sent (with Telegram's message id) right after Telegram accepts
it, so a crash repeats at most the messages in flight (one per worker). A chat's
messages go out in order: only the head of a chat's queue is ever offered, and a
chat has at most one message in flight. Several processes may drain one outbox (the
bot's instances, ``newsbot.delivery.main`` beside the bot): a message is claimed before it is
queued for a worker (:meth:`OutboxStore.claim`, a lease of ``claim_seconds``, renewed
before a send that waited long), so it is sent by one process and the two guarantees
above hold across processes; the claims of a process that died lapse and another
process takes the messages over, so a kill -9 still repeats at most the sends that
were in flight. Errors are sorted:

- 429 Too Many Requests: every send pauses for the full ``retry_after`` (and the
  chat too); the message waits in the outbox; it does not count as a failed attempt.
- group upgraded to a supergroup: subscriptions and pending messages move to the new
  chat id, and the message goes out there at once.
- blocked, kicked, chat not found, no right to post: permanent; the chat's
  subscriptions are deactivated with a readable reason (shown by /stats), and the
  articles of its undelivered digests go back to their subscriptions' pools, for
  when the chat is back.
- any other message Telegram refuses (e.g. bad HTML): failed and recorded, never retried.
- network errors, timeouts and Telegram's 5xx: retried after ``base_backoff * 2**attempts``
  seconds (at most ``max_backoff``) for ``retry_hours`` from the first failure (and
  at most ``max_attempts`` times, if set); then the message and the rest of its digest
  fail and the digest's articles go back to the subscription's pool (said in /stats),
  so an outage delays content but never loses it.

We use our own limiter (:mod:`newsbot.delivery.ratelimit`) rather than python-telegram-bot's
``AIORateLimiter``: that one has no per-private-chat limit, does not retry by default,
and its pause after a 429 has been reported to end early (upstream #5338).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from newsbot.delivery.ratelimit import Rate, RateLimiter, RateLimits
from newsbot.ops.metrics import METRICS
from newsbot.store.leases import new_holder
from newsbot.store.outbox import OutboxMessage, OutboxStore

__all__ = ["Deliverer", "DeliveryLimits", "DrainReport", "permanent_reason"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_BATCH = 256  # chat heads fetched per query
_CLAIMED_POLL = 1.0  # drain(): look again this often while messages wait
_IDLE_POLL = 5.0  # run(): look at the outbox this often (other processes queue too)
_MAX_MIGRATIONS = 3  # a message follows at most this many chat migrations

# (substring of Telegram's description, readable reason) for permanent failures.
_FORBIDDEN_REASONS = (
    ("blocked", "the user blocked the bot"),
    ("kicked", "the bot was removed from the chat"),
    ("not a member", "the bot is not a member of the chat"),
    ("user is deactivated", "the user's account was deleted"),
    ("initiate conversation", "the user has not started the bot"),
    ("chat_write_forbidden", "the bot has no right to post in the chat"),
)
_BAD_REQUEST_REASONS = (
    ("chat not found", "chat not found"),
    ("peer_id_invalid", "chat not found"),
    ("user is deactivated", "the user's account was deleted"),
    ("not enough rights", "the bot has no right to post in the chat"),
    ("have no rights to send", "the bot has no right to post in the chat"),
    ("need administrator rights", "the bot has no right to post in the chat"),
    ("chat_write_forbidden", "the bot has no right to post in the chat"),
    ("chat_admin_required", "the bot has no right to post in the chat"),
    ("chat_restricted", "the bot has no right to post in the chat"),
)


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """How fast, how often and how many at once; ``enabled=False`` switches the
    client-side rate limits off (a 429 is still obeyed)."""

    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0  # groups, supergroups and channels
    max_attempts: int = 0  # failed attempts (network errors) before giving up; 0: no cap
    retry_hours: float = 24.0  # network errors are retried this long from the first one
    base_backoff: float = 1.0  # seconds before the first retry; doubles each attempt
    max_backoff: float = 300.0
    workers: int = 4  # sends in flight at once (never two to the same chat)
    enabled: bool = True
    claim_seconds: float = 15.0  # a process holds a message it will send this long

    def rate_limits(self) -> RateLimits:
        """The limiter's configuration."""
        if not self.enabled:
            return RateLimits.off()
        return RateLimits(
            overall=Rate.per_second(self.overall_per_second),
            private=Rate.per_second(self.private_per_second),
            group=Rate.per_minute(self.group_per_minute),
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after a message's ``attempts``-th failure (counting from 0)."""
        return float(min(self.max_backoff, self.base_backoff * 2 ** min(attempts, 62)))


@dataclass(frozen=True, slots=True)
class DrainReport:
    """What a drain (or the deliverer so far, see :attr:`Deliverer.totals`) did."""

    sent: int = 0
    retried: int = 0  # network errors that will be tried again
    failed: int = 0  # messages given up (refused, or out of attempts)
    flood_waits: int = 0  # 429s obeyed
    deactivated: int = 0  # chats switched off by a permanent failure
    migrated: int = 0  # groups followed to their supergroup
    pending: int = 0  # messages still waiting when the drain ended


@dataclass(slots=True)
class _Counts:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    flood_waits: int = 0
    deactivated: int = 0
    migrated: int = 0

    def add(self, name: str) -> None:
        setattr(self, name, getattr(self, name) + 1)

    def report(self, pending: int = 0) -> DrainReport:
        return DrainReport(
            **{f.name: getattr(self, f.name) for f in fields(_Counts)}, pending=pending
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def permanent_reason(exc: TelegramError) -> str | None:
    """A readable reason when ``exc`` means the chat can no longer be reached, else None."""
    text = exc.message.lower()
    if isinstance(exc, Forbidden):
        for marker, reason in _FORBIDDEN_REASONS:
            if marker in text:
                return f"{reason} ({exc.message})"
        return f"the bot may not post in the chat ({exc.message})"
    if isinstance(exc, BadRequest):
        for marker, reason in _BAD_REQUEST_REASONS:
            if marker in text:
                return f"{reason} ({exc.message})"
    return None


class _Run:
    """The state of one pass over the outbox: a queue, the workers, the busy chats."""

    def __init__(self, workers: int) -> None:
        self.queue: asyncio.Queue[OutboxMessage | None] = asyncio.Queue()
        self.busy: set[int] = set()  # chats with a message queued or in flight
        self.progress = asyncio.Event()  # a worker finished a message
        self.acquiring: set[asyncio.Task[Any]] = set()  # workers waiting for the limiter
        self.workers = workers


class Deliverer:
    """Sends what the outbox holds: ``notify()`` after queueing, ``run()`` in the bot,
    ``drain()`` to send everything now."""

    def __init__(
        self,
        outbox: OutboxStore,
        bot: Bot,
        limits: DeliveryLimits | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        limiter: RateLimiter | None = None,
        holder: str | None = None,
    ) -> None:
        self.outbox = outbox
        self.holder = holder or new_holder()  # names this process in its claims
        self.bot = bot
        self.limits = limits or DeliveryLimits()
        self.clock = clock
        self.limiter = limiter or RateLimiter(self.limits.rate_limits())
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # run() and drain() never send side by side
        self._totals = _Counts()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="outbox-db")

    @property
    def totals(self) -> DrainReport:
        """Everything this deliverer did since it was made."""
        return self._totals.report()

    def notify(self) -> None:
        """New messages are queued: wake :meth:`run`."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, then let the sends in flight finish."""
        log.info("outbox delivery running")
        while not stop.is_set():
            self._wake.clear()
            try:
                await self._pass(_Counts(), stop, None)
                next_due = await self._db(self.outbox.next_due)
            except Exception:  # keep going: the next pass starts again from the database
                log.exception("delivery pass failed; trying again shortly")
                next_due = self.clock() + timedelta(seconds=5)
            timeout = _IDLE_POLL
            if next_due is not None:
                timeout = min(timeout, max(0.0, (next_due - self.clock()).total_seconds()))
            if timeout > 0:
                await _wait_any((self._wake, stop), timeout)
        log.info("outbox delivery stopped")

    async def drain(self, timeout: float | None = None) -> DrainReport:
        """Send everything pending, waiting out flood waits and retries, or until
        ``timeout`` seconds have passed; what is left is counted in ``pending``."""
        counts = _Counts()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            await self._pass(counts, None, deadline)
            next_due = await self._db(self.outbox.next_due)
            if next_due is None:
                break
            wait = max(0.0, (next_due - self.clock()).total_seconds())
            if deadline is not None and time.monotonic() + wait >= deadline:
                break
            # next_due may be another process's claim lapsing: it likely sends the
            # message sooner, and the chat's next one is due then.
            await asyncio.sleep(min(wait, _CLAIMED_POLL))
        pending = await self._db(self.outbox.pending_count)
        return counts.report(pending)

    # ---------------------------------------------------------------- one pass

    async def _pass(
        self, counts: _Counts, stop: asyncio.Event | None, deadline: float | None
    ) -> None:
        """Send every message due now, ``workers`` at a time, in order within a chat."""
        async with self._lock:
            state = _Run(max(1, self.limits.workers))
            tasks = [
                asyncio.create_task(self._worker(state, counts), name=f"outbox-worker-{i}")
                for i in range(state.workers)
            ]
            try:
                await self._dispatch(state, stop, deadline)
            finally:
                await self._finish(state, tasks, stop, deadline)

    async def _dispatch(
        self, state: _Run, stop: asyncio.Event | None, deadline: float | None
    ) -> None:
        """Feed chat heads to the workers until nothing is due and nothing in flight."""
        waits = (state.progress,) if stop is None else (state.progress, stop)
        while not _ended(stop, deadline):
            state.progress.clear()
            if state.queue.qsize() >= state.workers:
                await _wait_any(waits, _remaining(deadline))
                continue
            busy = frozenset(state.busy)
            heads = await self._db(self.outbox.due, self.clock(), _BATCH, busy)
            soonest: float | None = None
            # Claim no more than the workers will take soon: what this process holds
            # but has not sent waits for the claim to lapse should the process die.
            room = 2 * state.workers - state.queue.qsize()
            chosen: list[OutboxMessage] = []
            for message in heads:
                if len(chosen) >= room:
                    break
                if message.chat_id in busy or message.chat_id in state.busy:
                    continue
                wait = self.limiter.chat_delay(message.chat_id, message.chat_type)
                if wait is None or wait > 0:  # this chat's own limit: come back later
                    wait = 1.0 if wait is None else wait
                    soonest = wait if soonest is None else min(soonest, wait)
                    continue
                chosen.append(message)
            if chosen:
                now = self.clock()
                until = now + timedelta(seconds=self.limits.claim_seconds)
                won = set(
                    await self._db(
                        self.outbox.claim, [m.pk for m in chosen], self.holder, until, now
                    )
                )
                for message in chosen:
                    if message.pk in won:  # else another process is sending it
                        state.busy.add(message.chat_id)
                        state.queue.put_nowait(replace(message, claim_until=until))
                continue
            if not heads and not state.busy:
                return  # nothing due, nothing queued, nothing in flight
            # Wait for a worker to finish, or for the soonest chat held by its own limit.
            timeout = soonest if soonest is not None or state.busy else 1.0
            remaining = _remaining(deadline)
            if remaining is not None:
                timeout = remaining if timeout is None else min(timeout, remaining)
            await _wait_any(waits, timeout)

    async def _finish(
        self,
        state: _Run,
        tasks: list[asyncio.Task[None]],
        stop: asyncio.Event | None,
        deadline: float | None,
    ) -> None:
        """Drop what was queued (its claims given back), let the sends in flight end,
        and stop the workers."""
        dropped: list[int] = []
        while not state.queue.empty():
            message = state.queue.get_nowait()
            if message is not None:
                state.busy.discard(message.chat_id)
                dropped.append(message.pk)
        if dropped:
            try:
                await self._db(self.outbox.release, dropped, self.holder)
            except Exception:  # the claims lapse by themselves
                log.warning("could not give back %d claimed messages", len(dropped))
        for _ in tasks:
            state.queue.put_nowait(None)
        if _ended(stop, deadline):  # don't sit out a long flood wait on the way out
            for task in list(state.acquiring):
                task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.error("outbox worker failed: %r", result)

    async def _worker(self, state: _Run, counts: _Counts) -> None:
        while (message := await state.queue.get()) is not None:
            try:
                await self._deliver(message, state, counts)
            except Exception:  # e.g. the database is gone; the message stays pending
                log.exception("delivering message %s failed", message.pk)
            finally:
                state.busy.discard(message.chat_id)
                if state.queue.qsize() < state.workers:  # the dispatcher has work to do
                    state.progress.set()

    # ------------------------------------------------------------ one message

    async def _deliver(self, message: OutboxMessage, state: _Run, counts: _Counts) -> None:
        chat_id, chat_type = message.chat_id, message.chat_type
        for _ in range(_MAX_MIGRATIONS + 1):
            task = asyncio.current_task()
            assert task is not None
            state.acquiring.add(task)
            try:
                ticket = await self.limiter.acquire(chat_id, chat_type)
            finally:
                state.acquiring.discard(task)
            if not await self._still_ours(message):
                self.limiter.release(ticket)
                log.info("message %s was taken over by another process", message.pk)
                return
            try:
                sent = await self.bot.send_message(
                    chat_id,
                    message.text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=_NO_PREVIEW,
                )
            except ChatMigrated as exc:
                new_chat_id = int(exc.new_chat_id)
                log.warning("chat %s became supergroup %s; following it", chat_id, new_chat_id)
                await self._db(self.outbox.migrate_chat, chat_id, new_chat_id, self.clock())
                self._count(counts, "migrated")
                state.busy.add(new_chat_id)
                chat_id, chat_type = new_chat_id, "supergroup"
                continue
            except Exception as exc:  # sorted in _failed; the message is never lost
                await self._failed(message, chat_id, exc, counts)
            else:
                await self._record_sent(message, sent.message_id)
                self._count(counts, "sent")
                log.debug("message %s sent to chat %s as %s", message.pk, chat_id, sent.message_id)
            finally:
                self.limiter.release(ticket)
            state.busy.discard(chat_id)
            return
        await self._retry(message, chat_id, "the chat kept migrating", counts)

    async def _still_ours(self, message: OutboxMessage) -> bool:
        """Renew the claim on ``message`` when half its lease has passed (a long wait
        for the limiter); False when it lapsed and another process took it over."""
        if message.claim_until is None:
            return True
        half = timedelta(seconds=self.limits.claim_seconds / 2)
        now = self.clock()
        if now < message.claim_until - half:
            return True
        until = now + timedelta(seconds=self.limits.claim_seconds)
        return await self._db(self.outbox.renew, message.pk, self.holder, until)

    async def _record_sent(self, message: OutboxMessage, telegram_message_id: int) -> None:
        """Record a send at once; a short database hiccup must not make it go out twice."""
        for attempt in range(3):
            try:
                await self._db(self.outbox.mark_sent, message.pk, telegram_message_id, self.clock())
                return
            except Exception:
                if attempt == 2:
                    raise
                log.warning("recording message %s as sent failed; trying again", message.pk)
                await asyncio.sleep(1.0)

    async def _failed(
        self, message: OutboxMessage, chat_id: int, exc: Exception, counts: _Counts
    ) -> None:
        """Sort a failed send: wait, deactivate, give up, or retry later."""
        if isinstance(exc, RetryAfter):
            seconds = retry_after_seconds(exc)
            self.limiter.pause(seconds)
            self.limiter.pause_chat(chat_id, seconds)
            detail = f"retry after {seconds:g}s"
            log.warning("flood control on chat %s: every send waits %gs", chat_id, seconds)
            now = self.clock()
            await self._db(
                self.outbox.mark_retry,
                message.pk,
                now + timedelta(seconds=seconds),
                detail,
                attempt=False,
            )
            await self._db(self.outbox.record_event, chat_id, "flood_wait", detail, now)
            self._count(counts, "flood_waits")
            return
        if isinstance(exc, TelegramError) and (reason := permanent_reason(exc)) is not None:
            log.warning("chat %s is unreachable, deactivating it: %s", chat_id, reason)
            await self._db(self.outbox.deactivate_chat, chat_id, reason, self.clock())
            self._count(counts, "deactivated")
            return
        if isinstance(exc, BadRequest):  # this message will never be accepted
            error = f"refused by Telegram: {self._scrub(exc.message)}"
            log.warning("message %s to chat %s %s", message.pk, chat_id, error)
            await self._db(self.outbox.mark_failed, message.pk, error, self.clock())
            self._count(counts, "failed")
            return
        if isinstance(exc, NetworkError):  # timeouts, connection errors, Telegram's 5xx
            error = f"network error: {self._scrub(exc.message)}"
        elif isinstance(exc, TelegramError):
            error = f"{type(exc).__name__}: {self._scrub(exc.message)}"
        else:
            error = f"unexpected {type(exc).__name__}: {self._scrub(str(exc))}"
        await self._retry(message, chat_id, error, counts)

    async def _retry(
        self, message: OutboxMessage, chat_id: int, error: str, counts: _Counts
    ) -> None:
        attempts = message.attempts + 1
        now = self.clock()
        failing = now - (message.first_error_at or now)
        cap = self.limits.max_attempts
        if failing >= timedelta(hours=self.limits.retry_hours) or (cap and attempts >= cap):
            hours = failing.total_seconds() / 3600
            detail = f"{error} ({attempts} attempts in {hours:.1f} h)"
            returned = await self._db(self.outbox.give_up, message.pk, detail, now)
            log.warning(
                "message %s to chat %s: giving up, %s; %d articles go back for the next digest",
                message.pk,
                chat_id,
                detail,
                returned,
            )
            self._count(counts, "failed")
            return
        backoff = self.limits.backoff(message.attempts)
        log.warning(
            "message %s to chat %s: %s; retry %d in %gs",
            message.pk,
            chat_id,
            error,
            attempts,
            backoff,
        )
        await self._db(
            self.outbox.mark_retry,
            message.pk,
            now + timedelta(seconds=backoff),
            error,
            attempt=True,
            failed_at=now,
        )
        self._count(counts, "retried")

    async def _db(self, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run an outbox query on the deliverer's one database thread: writes from the
        workers queue there instead of contending for the database lock."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args, **kwargs))

    def _count(self, counts: _Counts, name: str) -> None:
        counts.add(name)
        self._totals.add(name)
        METRICS.delivery(name)

    def _scrub(self, text: str) -> str:
        """Never store or log the bot token, whatever an error message holds."""
        token = self.bot.token
        return text.replace(token, "<token>") if token else text


def _ended(stop: asyncio.Event | None, deadline: float | None) -> bool:
    return (stop is not None and stop.is_set()) or (
        deadline is not None and time.monotonic() >= deadline
    )


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


async def _wait_any(events: tuple[asyncio.Event, ...], timeout: float | None) -> None:
    """Wait until one of ``events`` is set, or ``timeout`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
