"""An asyncio rate limiter for Telegram's flood limits.

Telegram allows about 30 messages per second in all, one per second to a private
chat and 20 per minute to a group, supergroup or channel, and answers 429 with
``retry_after`` beyond that. Each limit here is a sliding window (at most ``count``
sends in any ``period`` seconds), the shape the Bot API enforces.

A send holds its place in every window from the moment it starts until it ends,
and is stamped with the time it *ended*. Telegram sees the request somewhere in
between, so however the network jitters, the server never sees more than
``count`` requests inside one window::

    limiter = RateLimiter(RateLimits.telegram())
    async with limiter.slot(chat_id, "private"):
        await bot.send_message(chat_id, text)

After a 429, :meth:`RateLimiter.pause` stops every send until ``retry_after`` has
passed (it never ends early), and :meth:`RateLimiter.pause_chat` stops one chat.

``acquire(..., urgent=True)`` (replies to readers) goes before the others (the
digest fan-out): while an urgent send waits only for room in the overall window,
ordinary sends leave that room to it.

The bookkeeping (:meth:`delay`, :meth:`reserve`, :meth:`release`) takes ``now`` as
an argument and is tested without a clock; :meth:`acquire` and :meth:`slot` add the
waiting, with an injectable ``clock`` and ``sleep``.

Several processes share one budget through a :class:`SharedBudget` (memory, the
database or Redis: :mod:`newsbot.delivery.budget`). The limiter's own windows then act as a
first, local stage (its urgent-first order, its sends in flight), and a send goes
only once the shared budget has taken its place in every shared window in one
atomic step; a pause after a 429 is written there too, and every limiter waits for
it. Within a process urgent sends still go first; across processes they compete
with the others' fan-out on equal terms.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

__all__ = [
    "OVERALL_KEY",
    "Claim",
    "Rate",
    "RateLimiter",
    "RateLimits",
    "SharedBudget",
    "Ticket",
    "chat_key",
]

log = logging.getLogger(__name__)

GROUP_CHAT_TYPES = frozenset({"group", "supergroup", "channel"})
_IDLE_WAIT = 1.0  # upper bound of one wait while a window is full of sends in flight
_SHARED_HOLD = 30.0  # a shared place in flight counts this long at most (a process died)
_SHARED_RETRY = 1.0  # after the shared budget failed to answer, ask again this much later
OVERALL_KEY = "all"  # the shared window and pause of every send


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` sends in any window of ``period`` seconds."""

    count: int
    period: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.period <= 0:
            raise ValueError(f"a rate needs count >= 1 and period > 0, not {self}")

    @classmethod
    def per_second(cls, rate: float) -> Rate:
        """``rate`` sends per second; a fractional rate becomes one send per ``1/rate`` s."""
        return cls._of(rate, 1.0)

    @classmethod
    def per_minute(cls, rate: float) -> Rate:
        """``rate`` sends per minute."""
        return cls._of(rate, 60.0)

    @classmethod
    def _of(cls, rate: float, period: float) -> Rate:
        if rate <= 0:
            raise ValueError(f"a rate must be greater than 0, not {rate}")
        if float(rate).is_integer():
            return cls(int(rate), period)
        return cls(1, period / rate)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The limits to honour; ``None`` switches one off."""

    overall: Rate | None = Rate(30, 1.0)
    private: Rate | None = Rate(1, 1.0)
    group: Rate | None = Rate(20, 60.0)  # groups, supergroups and channels

    @classmethod
    def telegram(cls) -> RateLimits:
        """Telegram's documented defaults."""
        return cls()

    @classmethod
    def off(cls) -> RateLimits:
        """No limits at all (pauses after a 429 still apply)."""
        return cls(None, None, None)

    def for_chat(self, chat_type: str) -> Rate | None:
        """The per-chat limit of a chat of ``chat_type``."""
        return self.group if chat_type in GROUP_CHAT_TYPES else self.private


@dataclass(slots=True)
class _Window:
    """Ends of recent sends (oldest first) and sends still in flight."""

    rate: Rate
    ends: deque[float] = field(default_factory=deque)
    in_flight: int = 0

    def expire(self, now: float) -> None:
        horizon = now - self.rate.period
        while self.ends and self.ends[0] <= horizon:
            self.ends.popleft()

    def delay(self, now: float, keep: int = 0) -> float | None:
        """Seconds until one more send fits (leaving ``keep`` places to others); None
        while only a send in flight can free it."""
        self.expire(now)
        over = len(self.ends) + self.in_flight - self.rate.count + 1 + keep
        if over <= 0:
            return 0.0
        if over > len(self.ends):
            return None
        return max(0.0, self.ends[over - 1] + self.rate.period - now)

    @property
    def idle(self) -> bool:
        return not self.ends and self.in_flight == 0


@dataclass(frozen=True, slots=True)
class Ticket:
    """A place taken in the windows of one send; give it back with :meth:`RateLimiter.release`."""

    chat_id: int
    overall: bool
    per_chat: bool
    claim: str = ""  # its places in the shared budget, if any

    @property
    def shared_keys(self) -> tuple[str, ...]:
        """The shared windows it holds a place in."""
        keys = (OVERALL_KEY,) if self.overall else ()
        return (*keys, chat_key(self.chat_id)) if self.per_chat else keys


def chat_key(chat_id: int) -> str:
    """The shared window and pause of one chat."""
    return f"chat:{chat_id}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A place wanted in one shared window: at most ``rate`` sends, leaving ``keep``."""

    key: str
    rate: Rate
    keep: int = 0


class SharedBudget(Protocol):
    """Windows and pauses that several limiters (processes, machines) share.

    A place is a ``claim`` id in a window. It counts as in flight (``hold`` seconds at
    most, in case its process dies) until :meth:`settle` stamps it with the time its
    send ended; it then counts until it leaves the window. Implementations keep
    their own clock (the server's, so machines agree).
    """

    async def take(
        self, claim: str, claims: Sequence[Claim], pauses: Sequence[str], hold: float
    ) -> float:
        """In one atomic step: when none of ``pauses`` runs and every window of
        ``claims`` has room, add ``claim`` to each and return 0; otherwise change
        nothing and return the seconds to wait before asking again (> 0)."""
        ...

    async def settle(self, claim: str, keys: Sequence[str]) -> None:
        """The send of ``claim`` ended now: stamp its place in each window of ``keys``."""
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """Stop sends under ``key`` for ``seconds`` (a pause only ever grows)."""
        ...

    async def aclose(self) -> None:
        """Let go of connections."""
        ...


class RateLimiter:
    """Sliding-window limits overall and per chat, plus pauses after 429s."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: SharedBudget | None = None,
        hold: float = _SHARED_HOLD,
    ) -> None:
        self.limits = limits if limits is not None else RateLimits.telegram()
        self.shared = shared
        self._hold = hold
        self._background: set[asyncio.Task[None]] = set()
        self._shared_failing = False
        self._clock = clock
        self._sleep = sleep
        self._overall = _Window(self.limits.overall) if self.limits.overall else None
        self._chats: dict[int, _Window] = {}
        self._paused_until = -math.inf
        self._chat_paused_until: dict[int, float] = {}
        self._released: asyncio.Event | None = None
        self._reserves = 0
        self._urgent: dict[object, tuple[int, str]] = {}  # urgent acquirers waiting

    # ------------------------------------------------------------------ pauses

    def pause(self, seconds: float, now: float | None = None) -> None:
        """Stop every send for ``seconds`` (a pause only ever grows)."""
        now = self._clock() if now is None else now
        self._paused_until = max(self._paused_until, now + seconds)
        if self.shared is not None:
            self._in_background(self.shared.pause(OVERALL_KEY, seconds))

    def pause_chat(self, chat_id: int, seconds: float, now: float | None = None) -> None:
        """Stop sends to one chat for ``seconds``."""
        now = self._clock() if now is None else now
        until = max(self._chat_paused_until.get(chat_id, -math.inf), now + seconds)
        self._chat_paused_until[chat_id] = until
        if self.shared is not None:
            self._in_background(self.shared.pause(chat_key(chat_id), seconds))

    def paused_for(self, now: float | None = None) -> float:
        """Seconds left of the global pause (0 if none)."""
        now = self._clock() if now is None else now
        return max(0.0, self._paused_until - now)

    # ------------------------------------------------------------ bookkeeping

    def chat_delay(self, chat_id: int, chat_type: str, now: float | None = None) -> float | None:
        """Seconds until this chat's own limit and pause allow a send (ignoring the overall
        limit); None while a send to it is in flight and fills its window."""
        now = self._clock() if now is None else now
        wait = max(0.0, self._chat_paused_until.get(chat_id, -math.inf) - now)
        window = self._chat_window(chat_id, chat_type, create=False)
        if window is None:
            return wait
        chat_wait = window.delay(now)
        return None if chat_wait is None else max(wait, chat_wait)

    def delay(
        self, chat_id: int, chat_type: str, now: float | None = None, *, urgent: bool = True
    ) -> float | None:
        """Seconds until a send to this chat is allowed (0: now); None while the windows are
        full of sends in flight (wait for a :meth:`release`). An ordinary (not ``urgent``)
        send also leaves room in the overall window for the urgent sends waiting for it."""
        now = self._clock() if now is None else now
        wait = self.chat_delay(chat_id, chat_type, now)
        if wait is None:
            return None
        wait = max(wait, self._paused_until - now)
        if self._overall is not None:
            keep = 0 if urgent else self._urgent_ready(now)
            overall = self._overall.delay(now, keep)
            if overall is None:
                return None
            wait = max(wait, overall)
        return wait

    def reserve(self, chat_id: int, chat_type: str, now: float | None = None) -> Ticket:
        """Take a place in the windows now (whether or not :meth:`delay` allowed it)."""
        now = self._clock() if now is None else now
        self._reserves += 1
        if self._reserves % 1024 == 0:
            self._forget_idle(now)
        if self._overall is not None:
            self._overall.in_flight += 1
        window = self._chat_window(chat_id, chat_type, create=True)
        if window is not None:
            window.in_flight += 1
        return Ticket(chat_id, self._overall is not None, window is not None)

    def release(self, ticket: Ticket, now: float | None = None) -> None:
        """The send of ``ticket`` ended at ``now``: it counts from then on."""
        now = self._clock() if now is None else now
        windows = []
        if ticket.overall and self._overall is not None:
            windows.append(self._overall)
        if ticket.per_chat and (window := self._chats.get(ticket.chat_id)) is not None:
            windows.append(window)
        for window in windows:
            window.in_flight = max(0, window.in_flight - 1)
            window.ends.append(now)
        if self._released is not None:
            self._released.set()
        if ticket.claim and self.shared is not None:
            self._in_background(self.shared.settle(ticket.claim, ticket.shared_keys))

    def _unreserve(self, ticket: Ticket) -> None:
        """Give back a place that was never used: nothing is stamped."""
        if ticket.overall and self._overall is not None:
            self._overall.in_flight = max(0, self._overall.in_flight - 1)
        if ticket.per_chat and (window := self._chats.get(ticket.chat_id)) is not None:
            window.in_flight = max(0, window.in_flight - 1)
        if self._released is not None:
            self._released.set()

    # ----------------------------------------------------------------- waiting

    async def acquire(self, chat_id: int, chat_type: str, *, urgent: bool = False) -> Ticket:
        """Wait until a send to this chat is allowed, and take its place; ``urgent``
        sends go before ordinary ones waiting for the overall window."""
        key = object()
        if urgent:
            self._urgent[key] = (chat_id, chat_type)
        try:
            while True:
                wait = self.delay(chat_id, chat_type, urgent=urgent)
                if wait is not None and wait <= 0:
                    ticket = self.reserve(chat_id, chat_type)
                    if self.shared is None:
                        return ticket
                    # The local place is held while the shared budget is asked, so the
                    # other sends of this process count it.
                    try:
                        claimed, wait = await self._take_shared(ticket, chat_type, urgent)
                    except BaseException:
                        self._unreserve(ticket)
                        raise
                    if claimed is not None:
                        return claimed
                    self._unreserve(ticket)
                    await self._sleep(wait)
                elif wait is None:  # only a send in flight can make room: wait for a release
                    await self._wait_release(_IDLE_WAIT)
                else:
                    await self._sleep(wait)
        finally:
            if urgent:
                del self._urgent[key]
                if self._released is not None:
                    self._released.set()  # ordinary sends held back for it may go

    @asynccontextmanager
    async def slot(
        self, chat_id: int, chat_type: str, *, urgent: bool = False
    ) -> AsyncIterator[None]:
        """``async with limiter.slot(chat, kind): send`` — acquire, send, release."""
        ticket = await self.acquire(chat_id, chat_type, urgent=urgent)
        try:
            yield
        finally:
            self.release(ticket)

    async def _take_shared(
        self, ticket: Ticket, chat_type: str, urgent: bool
    ) -> tuple[Ticket | None, float]:
        """(the ticket with its shared places, 0) or (None, seconds to wait)."""
        assert self.shared is not None
        claims = []
        if ticket.overall and self.limits.overall is not None:
            keep = 0 if urgent else self._urgent_ready(self._clock())
            claims.append(Claim(OVERALL_KEY, self.limits.overall, keep))
        rate = self.limits.for_chat(chat_type)
        if ticket.per_chat and rate is not None:
            claims.append(Claim(chat_key(ticket.chat_id), rate))
        claim = uuid.uuid4().hex
        pauses = (OVERALL_KEY, chat_key(ticket.chat_id))
        try:
            wait = await self.shared.take(claim, claims, pauses, self._hold)
        except Exception as exc:  # unreachable: send nothing rather than flood
            if not self._shared_failing:
                log.warning("the shared send budget does not answer (%s); waiting", exc)
            self._shared_failing = True
            return None, _SHARED_RETRY
        if self._shared_failing:
            log.warning("the shared send budget answers again")
            self._shared_failing = False
        if wait > 0:
            return None, wait
        return replace(ticket, claim=claim), 0.0

    def _in_background(self, work: Coroutine[None, None, None]) -> None:
        """Run a write to the shared budget without making the caller wait for it."""
        try:
            task = asyncio.get_running_loop().create_task(work)
        except RuntimeError:  # no event loop: nothing sends now either
            work.close()
            return
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("writing to the shared send budget failed: %s", exc)

    async def settled(self) -> None:
        """Wait until the writes to the shared budget made so far are done."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def aclose(self) -> None:
        """Finish the writes to the shared budget and let go of its connections."""
        await self.settled()
        if self.shared is not None:
            await self.shared.aclose()

    async def _wait_release(self, timeout: float) -> None:
        if self._released is None:
            self._released = asyncio.Event()
        self._released.clear()
        waiters = {
            asyncio.ensure_future(self._released.wait()),
            asyncio.ensure_future(self._sleep(timeout)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # ---------------------------------------------------------------- internal

    def _urgent_ready(self, now: float) -> int:
        """Urgent sends waiting only for the overall window (their own chat allows them)."""
        return sum(
            1 for chat_id, kind in self._urgent.values() if self.chat_delay(chat_id, kind, now) == 0
        )

    def _chat_window(self, chat_id: int, chat_type: str, *, create: bool) -> _Window | None:
        window = self._chats.get(chat_id)
        if window is None:
            rate = self.limits.for_chat(chat_type)
            if rate is None or not create:
                return None
            window = self._chats[chat_id] = _Window(rate)
        return window

    def _forget_idle(self, now: float) -> None:
        """Drop windows and pauses of chats that have nothing left to remember."""
        for chat_id, window in list(self._chats.items()):
            window.expire(now)
            if window.idle:
                del self._chats[chat_id]
        for chat_id, until in list(self._chat_paused_until.items()):
            if until <= now:
                del self._chat_paused_until[chat_id]
