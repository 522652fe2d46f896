"""Coordination between instances on one database: leases and handled updates (all SQL).

A lease is a row naming what one process at a time may do (``leader``: poll Telegram
and run the schedule), who holds it and until when. The holder renews it every few
seconds; a holder that dies stops renewing and, once ``expires_at`` has passed,
another process takes it. Times come from the processes' clocks, so the machines of
one cluster keep their clocks in step (NTP), well within the lease's length.

Handled updates: the ids of Telegram updates already handled, so an update delivered
twice (a webhook behind a load balancer, updates fetched again after a crash) is
handled once.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Insert, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from newsbot.store.schema import handled_updates, leases

__all__ = ["Lease", "LeaseStore", "UpdateLog", "new_holder", "parse_holder"]


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds ``name``, and until when."""

    name: str
    holder: str
    expires_at: datetime


def new_holder() -> str:
    """``host:pid:random``: names this process in leases and outbox claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def parse_holder(holder: str) -> tuple[str, int | None]:
    """(host, pid) of a holder name; pid None when it is not one of ours."""
    host_pid = holder.rpartition(":")[0]
    host, _, pid = host_pid.rpartition(":")
    return host, int(pid) if pid.isdigit() else None


def _insert(engine: Engine) -> type[Insert]:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert  # type: ignore[no-any-return]


class LeaseStore:
    """Take, renew, read and give back leases; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Take or renew ``name`` for ``ttl`` from ``now``: True when ``holder`` holds it
        now (it was free, lapsed, or already ours), False when another holds it."""
        insert = _insert(self.engine)
        statement = insert(leases).values(name=name, holder=holder, expires_at=now + ttl)
        statement = statement.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[leases.c.name],
            set_={"holder": holder, "expires_at": now + ttl},
            where=(leases.c.holder == holder) | (leases.c.expires_at < now),
        )
        with self.engine.begin() as conn:
            conn.execute(statement)
            current = conn.execute(
                select(leases.c.holder).where(leases.c.name == name)
            ).scalar_one_or_none()
        return current == holder

    def release(self, name: str, holder: str) -> bool:
        """Give ``name`` back at once (a clean stop); False if ``holder`` did not hold it."""
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(leases).where(leases.c.name == name, leases.c.holder == holder)
            ).rowcount
        return bool(gone)

    def get(self, name: str) -> Lease | None:
        """The row of ``name``, lapsed or not (None: nobody ever took it, or it was released)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(leases).where(leases.c.name == name)).first()
        return None if row is None else Lease(row.name, row.holder, row.expires_at)


class UpdateLog:
    """Telegram update ids already handled."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def first_time(self, update_id: int, now: datetime) -> bool:
        """Record ``update_id``; True the first time it is seen, False for a repeat."""
        insert = _insert(self.engine)
        statement = insert(handled_updates).values(update_id=update_id, at=now)
        statement = statement.on_conflict_do_nothing(  # type: ignore[attr-defined]
            index_elements=[handled_updates.c.update_id]
        ).returning(handled_updates.c.update_id)  # rowcount is not reliable here
        with self.engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def prune(self, before: datetime) -> int:
        """Forget the updates handled before ``before``; returns how many."""
        with self.engine.begin() as conn:
            return int(
                conn.execute(delete(handled_updates).where(handled_updates.c.at < before)).rowcount
            )
