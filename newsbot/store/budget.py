"""The send budget in the database: windows of recent sends and pauses after 429s.

Several processes sending for one bot keep Telegram's limits together through these
two tables (see :class:`newsbot.delivery.ratelimit.SharedBudget`):

- ``budget_stamps``: one row per send and window (``all`` for every send, ``chat:ID``
  for one chat). ``stamp`` is when the send ended, or ``now + hold`` while it is in
  flight; ``expires`` (``stamp`` plus the window's period) is when the row may go.
- ``budget_pauses``: until when sends under a key wait after a 429.

A reservation is one transaction: on PostgreSQL an advisory lock per window key
(taken in key order, so two reservations never deadlock) serialises the check and
the insert, so two processes never both take a window's last place; on SQLite the
first statement, a write, takes the database's write lock. Times are seconds since
the epoch from the database server's clock (PostgreSQL), so machines agree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Index,
    String,
    Table,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from newsbot.store.schema import metadata

__all__ = ["BudgetStore", "WindowClaim", "budget_pauses", "budget_stamps", "window_wait"]

budget_stamps = Table(
    "budget_stamps",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("claim", String(32), primary_key=True),
    Column("stamp", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Index("ix_budget_stamps_expires", "expires"),
    Index("ix_budget_stamps_key_stamp", "key", "stamp"),
)

budget_pauses = Table(
    "budget_pauses",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("until", Float, nullable=False),
)

# (key, count, period, keep): at most ``count`` sends in ``period`` s, leaving ``keep``.
WindowClaim = tuple[str, int, float, int]

_LOCK_SPACE = 0x6E62  # first key of our advisory locks ("nb"); others use the 1-key form
_PRUNE_EVERY = 512  # reservations between two sweeps of every expired row


def window_wait(stamps: Sequence[float], count: int, period: float, keep: int, now: float) -> float:
    """The rule of every backend (:meth:`BudgetStore.take` applies it in SQL, Redis in Lua).

    Seconds until one more send fits a window holding ``stamps`` and leaving ``keep``
    places to others: 0 when it fits now. A stamp after ``now`` is a send in flight,
    which frees its place a period after it ends, so at least ``period`` from now."""
    live = sorted(s for s in stamps if s > now - period)
    over = len(live) - count + 1 + keep
    if over <= 0:
        return 0.0
    if over > len(live) or live[over - 1] > now:
        return period
    return live[over - 1] + period - now


class BudgetStore:
    """The shared windows and pauses; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._takes = 0

    def take(
        self, claim: str, windows: Sequence[WindowClaim], pauses: Sequence[str], hold: float
    ) -> float:
        """Add ``claim`` to every window when none of ``pauses`` runs and each has room
        (return 0), or change nothing and return the seconds to wait."""
        keys = sorted({key for key, *_ in windows})
        with self.engine.begin() as conn:
            if self._postgres:
                self._lock(conn, keys)
            self._takes += 1
            expired = budget_stamps.c.expires <= self._now_sql()
            if self._takes % _PRUNE_EVERY and keys:
                expired = expired & budget_stamps.c.key.in_(keys)
            conn.execute(delete(budget_stamps).where(expired))  # on SQLite: the write lock
            # now (once the locks are held) and the longest pause, in one query
            longest = select(func.max(budget_pauses.c.until)).where(
                budget_pauses.c.key.in_(pauses or [""])
            )
            now_raw, until = conn.execute(select(self._now_sql(), longest.scalar_subquery())).one()
            now = float(now_raw)
            wait = 0.0 if until is None else max(0.0, float(until) - now)
            # How full each window is; the stamp that decides the wait only when full.
            sizes = dict.fromkeys(keys, 0)
            sizes.update(
                conn.execute(
                    select(budget_stamps.c.key, func.count())
                    .where(budget_stamps.c.key.in_(keys))
                    .group_by(budget_stamps.c.key)
                ).all()
            )
            for key, count, period, keep in windows:
                over = sizes[key] - count + 1 + keep
                if over <= 0:
                    continue
                nth = None
                if over <= sizes[key]:
                    nth = conn.execute(
                        select(budget_stamps.c.stamp)
                        .where(budget_stamps.c.key == key)
                        .order_by(budget_stamps.c.stamp)
                        .offset(over - 1)
                        .limit(1)
                    ).scalar()
                if nth is None or float(nth) > now:  # in flight: free a period after it ends
                    wait = max(wait, period)
                else:
                    wait = max(wait, float(nth) + period - now)
            if wait > 0:
                return wait
            if windows:
                conn.execute(
                    insert(budget_stamps),
                    [
                        {
                            "key": key,
                            "claim": claim,
                            "stamp": now + hold,
                            "expires": now + hold + period,
                        }
                        for key, _count, period, _keep in windows
                    ],
                )
            return 0.0

    def settle(self, claim: str, keys: Sequence[str]) -> None:
        """The send of ``claim`` ended now: its places count from now for a period."""
        if not keys:
            return
        with self.engine.begin() as conn:
            if self._postgres:
                self._lock(conn, [])
            now = self._now_sql()
            conn.execute(
                update(budget_stamps)
                .where(budget_stamps.c.claim == claim, budget_stamps.c.key.in_(keys))
                .values(
                    stamp=now,
                    expires=now + budget_stamps.c.expires - budget_stamps.c.stamp,
                )
            )

    def pause(self, key: str, seconds: float) -> None:
        """Sends under ``key`` wait ``seconds`` from now (a pause only ever grows)."""
        with self.engine.begin() as conn:
            if self._postgres:
                self._lock(conn, [])
            now = self._now(conn)
            conn.execute(delete(budget_pauses).where(budget_pauses.c.until < now))
            values = {"key": key, "until": now + seconds}
            if self._postgres:
                pg = pg_insert(budget_pauses).values(values)
                conn.execute(
                    pg.on_conflict_do_update(
                        index_elements=[budget_pauses.c.key],
                        set_={"until": func.greatest(budget_pauses.c.until, pg.excluded.until)},
                    )
                )
            else:
                lite = sqlite_insert(budget_pauses).values(values)
                conn.execute(
                    lite.on_conflict_do_update(
                        index_elements=[budget_pauses.c.key],
                        set_={"until": func.max(budget_pauses.c.until, lite.excluded.until)},
                    )
                )

    def paused_for(self, key: str) -> float:
        """Seconds left of the pause of ``key`` (0 if none)."""
        with self.engine.connect() as conn:
            now = self._now(conn)
            until = conn.execute(
                select(budget_pauses.c.until).where(budget_pauses.c.key == key)
            ).scalar()
        return 0.0 if until is None else max(0.0, float(until) - now)

    def stamps(self, key: str) -> list[float]:
        """The stamps of one window, oldest first (for tests and the bench)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(budget_stamps.c.stamp)
                .where(budget_stamps.c.key == key)
                .order_by(budget_stamps.c.stamp)
            ).scalars()
            return [float(stamp) for stamp in rows]

    def clear(self) -> None:
        """Forget every window and pause."""
        with self.engine.begin() as conn:
            conn.execute(delete(budget_stamps))
            conn.execute(delete(budget_pauses))

    def _lock(self, conn: Connection, keys: Sequence[str]) -> None:
        """PostgreSQL: lock ``keys`` (sorted) for this transaction, whose commit need not
        wait for the disk (seconds of state: a crash of the server loses nothing of use)."""
        no_wait = "set_config('synchronous_commit', 'off', true)"
        if not keys:
            conn.execute(text(f"SELECT {no_wait}"))
        for number, key in enumerate(keys):
            also = f", {no_wait}" if number == 0 else ""
            conn.execute(
                text(f"SELECT pg_advisory_xact_lock(:space, hashtext(:key)){also}"),
                {"space": _LOCK_SPACE, "key": key},
            )

    def _now_sql(self) -> ColumnElement[float]:
        """Seconds since the epoch, in SQL: the server's clock on PostgreSQL (when the
        statement began: one time for all its rows, and an index can use it)."""
        if self._postgres:
            return cast(extract("epoch", func.statement_timestamp()), Float)
        return literal(time.time(), Float)

    def _now(self, conn: Connection) -> float:
        """Seconds since the epoch, by the database server's clock where there is one."""
        if self._postgres:
            epoch = conn.execute(text("SELECT extract(epoch FROM clock_timestamp())"))
            return float(epoch.scalar_one())
        return time.time()
