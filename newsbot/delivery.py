"""Delivery: drains the outbox to Telegram within its limits, and never loses a message.

Each message is marked sent (with Telegram's message id) right after Telegram
accepts it, so a crash repeats at most the message in flight. Errors are sorted:

- 429 Too Many Requests: sending pauses for the full ``retry_after`` (globally and
  for the chat) and the message waits; it does not count as a failed attempt.
- group upgraded to a supergroup: subscriptions and queued messages move to the new
  chat id, and the message goes out there.
- blocked, kicked, chat not found, no right to post: permanent; the chat's
  subscriptions are deactivated with the reason (visible in /stats and ``subs list``).
- a message Telegram refuses (e.g. bad HTML): failed and recorded, never retried.
- network errors and Telegram's 5xx: retried with growing pauses up to ``max_attempts``.

We use our own limiter rather than python-telegram-bot's AIORateLimiter: that one
has no per-private-chat limit, does not retry by default, and its pause after a 429
has been reported to end early (upstream #5338).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from newsbot.ratelimit import Limits, RateLimiter
from newsbot.store.outbox import OutboxMessage, OutboxStore

__all__ = ["Deliverer", "DeliveryLimits", "DrainReport"]

log = logging.getLogger(__name__)

_PERMANENT = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "bot is not a member",
    "bot was kicked",
    "user is deactivated",
    "peer_id_invalid",
)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    max_attempts: int = 10
    base_backoff: float = 1.0
    max_backoff: float = 300.0
    workers: int = 4
    enabled: bool = True


@dataclass(slots=True)
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    flood_waits: int = 0
    deactivated: int = 0


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Deliverer:
    """Sends what the outbox holds; ``notify()`` after queueing, ``run()`` in the bot."""

    def __init__(
        self,
        outbox: OutboxStore,
        bot: Bot,
        limits: DeliveryLimits | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outbox = outbox
        self.bot = bot
        self.limits = limits or DeliveryLimits()
        self.clock = clock
        self.limiter = RateLimiter(
            Limits(
                self.limits.overall_per_second,
                self.limits.private_per_second,
                self.limits.group_per_minute,
            ),
            enabled=self.limits.enabled,
        )
        self._wake = asyncio.Event()
        self.totals = DrainReport()

    def notify(self) -> None:
        """New messages are queued: wake the loop."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; survives any error of a single round."""
        log.info("outbox delivery running")
        while not stop.is_set():
            self._wake.clear()
            try:
                report, next_due = await self._round()
            except Exception:  # keep delivering: the next round starts from the database
                log.exception("delivery round failed; retrying shortly")
                report, next_due = DrainReport(), self.clock() + timedelta(seconds=5)
            if report.sent or report.retried or report.failed or report.flood_waits:
                continue  # more may be due already
            timeout = 60.0
            if next_due is not None:
                timeout = max(0.05, min(timeout, (next_due - self.clock()).total_seconds()))
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        log.info("outbox delivery stopped")

    async def drain(self, timeout: float = 60.0) -> DrainReport:
        """Send everything queued (waiting out retries) or until ``timeout``; for tests,
        ``/digest`` and benchmarks."""
        total = DrainReport()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            report, next_due = await self._round()
            for field in ("sent", "retried", "failed", "flood_waits", "deactivated"):
                setattr(total, field, getattr(total, field) + getattr(report, field))
            if report.sent or report.retried or report.failed or report.flood_waits:
                continue
            if next_due is None:
                break
            await asyncio.sleep(
                max(
                    0.01,
                    min((next_due - self.clock()).total_seconds(), deadline - time.monotonic()),
                )
            )
        return total

    async def _round(self) -> tuple[DrainReport, datetime | None]:
        """Send the next due message of every chat, ``workers`` at a time."""
        due, next_due = await asyncio.to_thread(self.outbox.due, self.clock())
        report = DrainReport()
        if not due:
            return report, next_due
        queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
        for message in due:
            queue.put_nowait(message)

        async def worker() -> None:
            while not queue.empty():
                message = queue.get_nowait()
                await self._deliver(message, report)

        await asyncio.gather(*(worker() for _ in range(max(1, self.limits.workers))))
        for field in ("sent", "retried", "failed", "flood_waits", "deactivated"):
            setattr(self.totals, field, getattr(self.totals, field) + getattr(report, field))
        return report, next_due

    async def _deliver(self, message: OutboxMessage, report: DrainReport) -> None:
        await self.limiter.acquire(message.chat_id, message.chat_type)
        try:
            sent = await self.bot.send_message(
                message.chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
            )
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            self.limiter.pause(wait, message.chat_id)
            report.flood_waits += 1
            log.warning("flood control: waiting %.0fs (chat %s)", wait, message.chat_id)
            await asyncio.to_thread(self._flood, message, wait)
        except ChatMigrated as exc:
            log.warning("chat %s became supergroup %s", message.chat_id, exc.new_chat_id)
            await asyncio.to_thread(
                self.outbox.migrate_chat, message.chat_id, exc.new_chat_id, self.clock()
            )
            self.limiter.forget(message.chat_id)
            report.retried += 1
        except Forbidden as exc:
            await self._deactivate(message, str(exc), report)
        except BadRequest as exc:
            if any(marker in str(exc).lower() for marker in _PERMANENT):
                await self._deactivate(message, str(exc), report)
            else:
                log.warning("message %s to chat %s refused: %s", message.pk, message.chat_id, exc)
                await asyncio.to_thread(self.outbox.mark_failed, message.pk, str(exc), self.clock())
                report.failed += 1
        except NetworkError as exc:  # includes TimedOut and Telegram's 5xx
            await self._retry(message, f"network: {exc}", report)
        except Exception as exc:  # never lose the message to an unexpected error
            log.exception("unexpected error sending message %s", message.pk)
            await self._retry(message, f"unexpected: {exc!r}", report)
        else:
            await asyncio.to_thread(
                self.outbox.mark_sent, message.pk, sent.message_id, self.clock()
            )
            report.sent += 1

    def _flood(self, message: OutboxMessage, wait: float) -> None:
        now = self.clock()
        self.outbox.mark_retry(
            message.pk, now + timedelta(seconds=wait), f"retry after {wait:.0f}s", attempt=False
        )
        self.outbox.record_event(message.chat_id, "flood_wait", f"retry after {wait:.0f}s", now)

    async def _retry(self, message: OutboxMessage, error: str, report: DrainReport) -> None:
        attempts = message.attempts + 1
        if attempts >= self.limits.max_attempts:
            log.warning(
                "message %s to chat %s failed %d times: %s",
                message.pk,
                message.chat_id,
                attempts,
                error,
            )
            await asyncio.to_thread(self.outbox.mark_failed, message.pk, error, self.clock())
            report.failed += 1
            return
        backoff = min(self.limits.max_backoff, self.limits.base_backoff * 2 ** (attempts - 1))
        log.warning(
            "message %s to chat %s: %s; retry in %.1fs", message.pk, message.chat_id, error, backoff
        )
        await asyncio.to_thread(
            self.outbox.mark_retry,
            message.pk,
            self.clock() + timedelta(seconds=backoff),
            error,
            attempt=True,
        )
        report.retried += 1

    async def _deactivate(self, message: OutboxMessage, reason: str, report: DrainReport) -> None:
        log.warning(
            "chat %s is unreachable (%s): deactivating its subscriptions", message.chat_id, reason
        )
        await asyncio.to_thread(self.outbox.deactivate_chat, message.chat_id, reason, self.clock())
        self.limiter.forget(message.chat_id)
        report.deactivated += 1
