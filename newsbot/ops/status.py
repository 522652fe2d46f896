"""What an operator asks first, as values: the health an endpoint reports, and the
fuller status ``newsbot status`` prints. Both read the store; neither writes."""

from __future__ import annotations

from concurrent.futures import Executor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from newsbot.store import Store
from newsbot.store.engine import schema_revision
from newsbot.store.health import ping
from newsbot.store.leases import Lease

__all__ = ["LEADER", "Health", "SourceLine", "Status", "check_health", "gather_status"]

LEADER = "leader"  # the lease of the instance that polls Telegram and schedules


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _problem(exc: BaseException) -> str:
    """The driver's one-line message, without SQLAlchemy's link."""
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split("(Background on this error", 1)[0].split())
    return text or type(cause).__name__


@dataclass(frozen=True, slots=True)
class Health:
    """The facts of ``/healthz``; healthy while the database answers."""

    role: str
    database_ok: bool
    database_error: str | None
    outbox_pending: int | None
    outbox_oldest_age_seconds: float | None
    last_telegram_ok: datetime | None

    @property
    def healthy(self) -> bool:
        return self.database_ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "role": self.role,
            "database": {"reachable": self.database_ok, "error": self.database_error},
            "outbox": {
                "pending": self.outbox_pending,
                "oldest_age_seconds": self.outbox_oldest_age_seconds,
            },
            "last_telegram_ok": _iso(self.last_telegram_ok),
        }


def _backlog(store: Store, now: datetime) -> tuple[int, float | None]:
    """(pending messages, age in seconds of the oldest), after a ``SELECT 1``."""
    ping(store.engine)
    pending = store.outbox.pending_count()
    oldest = store.outbox.oldest_pending_at() if pending else None
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else None
    return pending, age


def outbox_backlog(
    store: Store, executor: Executor, timeout: float, now: datetime | None = None
) -> tuple[int, float | None]:
    """:func:`_backlog` on ``executor``, given up after ``timeout`` seconds (a server
    that does not answer may hold a connection attempt for minutes)."""
    future = executor.submit(_backlog, store, now or datetime.now(UTC))
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        raise TimeoutError(f"the database did not answer within {timeout:g}s") from None


def check_health(
    store: Store,
    executor: Executor,
    *,
    role: str,
    last_telegram_ok: datetime | None,
    timeout: float = 3.0,
) -> Health:
    """The health of this instance; the database is asked with a ``timeout``."""
    try:
        pending, age = outbox_backlog(store, executor, timeout)
    except (SQLAlchemyError, OSError) as exc:  # TimeoutError is an OSError
        return Health(role, False, _problem(exc), None, None, last_telegram_ok)
    return Health(role, True, None, pending, age, last_telegram_ok)


# ---------------------------------------------------------------- newsbot status


@dataclass(frozen=True, slots=True)
class SourceLine:
    name: str
    status: str  # ok, new, failing, paused
    pages: int
    ok_at: datetime | None
    next_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Status:
    """Everything ``newsbot status`` shows."""

    database: str  # the URL, its password hidden
    schema: str | None
    schema_head: str | None
    articles: int
    subscriptions_active: int
    subscriptions_inactive: int
    outbox_pending: int
    outbox_oldest_age_seconds: float | None
    sent_today: int
    failed_today: int
    flood_waits_today: int
    sources: tuple[SourceLine, ...]
    leader: Lease | None  # None: no instance has taken the lease

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": {
                "url": self.database,
                "reachable": True,
                "schema": self.schema,
                "schema_head": self.schema_head,
            },
            "articles": self.articles,
            "subscriptions": {
                "active": self.subscriptions_active,
                "inactive": self.subscriptions_inactive,
            },
            "outbox": {
                "pending": self.outbox_pending,
                "oldest_age_seconds": self.outbox_oldest_age_seconds,
            },
            "today": {
                "sent": self.sent_today,
                "failed": self.failed_today,
                "flood_waits": self.flood_waits_today,
            },
            "sources": [
                {
                    "name": s.name,
                    "status": s.status,
                    "pages": s.pages,
                    "ok_at": _iso(s.ok_at),
                    "next_at": _iso(s.next_at),
                    "error": s.error,
                }
                for s in self.sources
            ],
            "leader": None
            if self.leader is None
            else {"holder": self.leader.holder, "until": _iso(self.leader.expires_at)},
        }


def gather_status(store: Store, database: str, tz: ZoneInfo, now: datetime) -> Status:
    """Read the status from ``store``; "today" starts at midnight in ``tz``."""
    ping(store.engine)
    current, head = schema_revision(store.engine)
    midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    stats = store.outbox.stats(midnight, errors=0, inactive=0)
    oldest = store.outbox.oldest_pending_at()
    subs = store.subscriptions.counts()
    leader = store.leases.get(LEADER)
    return Status(
        database=database,
        schema=current,
        schema_head=head,
        articles=store.count_articles(),
        subscriptions_active=subs["active"],
        subscriptions_inactive=subs["inactive"],
        outbox_pending=stats.pending,
        outbox_oldest_age_seconds=(
            max(0.0, (now - oldest).total_seconds()) if oldest is not None else None
        ),
        sent_today=stats.sent,
        failed_today=stats.failed,
        flood_waits_today=stats.flood_waits,
        sources=tuple(
            SourceLine(
                s.name,
                s.status,
                s.pages,
                s.ok_at,
                s.next_at,
                s.paused_reason or s.last_error,
            )
            for s in store.sources.all()
        ),
        leader=leader,
    )
