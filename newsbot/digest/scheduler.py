"""When digests fire: one named daily job per subscription time, and catch-up on start.

Jobs run on python-telegram-bot's JobQueue (APScheduler underneath) with the
subscription's timezone, so 08:00 stays 08:00 across DST changes. Job names are
``digest:<id>:<HH:MM>``; re-syncing a subscription replaces its jobs, so changes
take effect at once and scheduling twice is harmless. A slot is recorded with a
unique key in the database, so it is never delivered twice, restarts included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from newsbot.digest.schedule import parse_hhmm, previous_slot
from newsbot.digest.workers import DigestWorkers
from newsbot.models import Subscription, SubscriptionSpec
from newsbot.store import Store

__all__ = ["DigestScheduler"]

log = logging.getLogger(__name__)

ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)  # PTB counts 0 = Sunday
WEEKDAYS = (1, 2, 3, 4, 5)


class DigestScheduler:
    """Keeps the JobQueue in step with the subscriptions table."""

    def __init__(
        self,
        job_queue: JobQueue[Any],
        store: Store,
        builder: DigestWorkers,
        notify: Callable[[], None],
        bot_username: Callable[[], str | None],
        grace: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.job_queue = job_queue
        self.store = store
        self.builder = builder
        self.notify = notify
        self.bot_username = bot_username
        self.grace = grace
        self.clock = clock
        self._scheduled: dict[int, SubscriptionSpec] = {}

    def sync(self, sub: Subscription) -> None:
        """(Re)schedule one subscription's jobs; an inactive one loses them."""
        self.unschedule(sub.id)
        if not sub.active:
            return
        self._scheduled[sub.id] = sub.spec
        tz = ZoneInfo(sub.spec.timezone)
        for hhmm in sub.spec.times:
            self.job_queue.run_daily(
                self._fire,
                time=parse_hhmm(hhmm).replace(tzinfo=tz),
                days=WEEKDAYS if sub.spec.weekdays_only else ALL_DAYS,
                name=f"digest:{sub.id}:{hhmm}",
                data=sub.id,
            )

    def unschedule(self, subscription_id: int) -> None:
        self._scheduled.pop(subscription_id, None)
        prefix = f"digest:{subscription_id}:"
        for job in self.job_queue.jobs():
            if job.name and job.name.startswith(prefix):
                job.schedule_removal()

    async def sync_all(self) -> int:
        """Schedule active subscriptions whose settings changed (or are new); drop the jobs
        of removed or deactivated ones. Cheap when nothing changed."""
        subs = await asyncio.to_thread(self.store.subscriptions.all, active_only=True)
        active = {sub.id: sub for sub in subs}
        for gone in [i for i in self._scheduled if i not in active]:
            self.unschedule(gone)
        for sub in subs:
            if self._scheduled.get(sub.id) != sub.spec:
                self.sync(sub)
        return len(subs)

    async def _fire(self, context: Any) -> None:
        subscription_id = context.job.data
        await self.run_due(subscription_id, kind="scheduled")

    async def run_due(self, subscription_id: int, kind: str) -> None:
        """Build the digest of the slot that is due now (if still active and not done)."""
        sub = await asyncio.to_thread(self.store.subscriptions.get, subscription_id)
        if sub is None or not sub.active:
            self.unschedule(subscription_id)
            return
        now = self.clock()
        slot = previous_slot(sub.spec, now + timedelta(seconds=5))
        if slot is None:
            return
        record = await self.builder.build(sub, slot, kind, now, self.bot_username())
        if record is None:
            log.info("digest of subscription %s for %s already recorded", sub.id, slot)
            return
        log.info(
            "digest of subscription %s for %s: %d articles, %d messages",
            sub.id,
            slot.isoformat(),
            record.items,
            record.messages,
        )
        if record.messages:
            self.notify()

    async def catch_up(self) -> tuple[int, int]:
        """Digests whose time passed while the bot was down: send within grace, else skip.

        Returns (sent, skipped).
        """
        sent = skipped = 0
        now = self.clock()
        for sub in await asyncio.to_thread(self.store.subscriptions.all, active_only=True):
            slot = previous_slot(sub.spec, now)
            if slot is None or slot < sub.created_at:
                continue
            if await asyncio.to_thread(self.store.subscriptions.has_digest, sub.id, slot):
                continue
            late = now - slot
            if late <= self.grace:
                record = await self.builder.build(sub, slot, "catchup", now, self.bot_username())
                if record is not None:
                    sent += 1
                    log.info(
                        "catch-up digest of subscription %s for %s (%s late)", sub.id, slot, late
                    )
            elif await asyncio.to_thread(self.store.subscriptions.skip_slot, sub, slot, now):
                skipped += 1
                log.warning(
                    "skipped the digest of subscription %s for %s: %s late, grace is %s",
                    sub.id,
                    slot,
                    late,
                    self.grace,
                )
        if sent:
            self.notify()
        return sent, skipped
