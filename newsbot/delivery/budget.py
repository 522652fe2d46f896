"""One send budget for every instance: where the limiter's windows and pauses live.

:class:`~newsbot.delivery.ratelimit.SharedBudget` has three implementations:

- :class:`MemoryBudget`: in this process (what one instance needs; tests share one
  between limiters to play several processes);
- :class:`DatabaseBudget`: the store's ``budget_*`` tables (:mod:`newsbot.store.budget`),
  one short transaction per send;
- :class:`RedisBudget`: a sorted set per window, checked and added to by one Lua
  script (atomic in Redis), pauses as keys that expire.

``delivery.shared_limits`` picks one (:func:`shared_budget`); :func:`build_limiter`
makes the limiter of a process with it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence

import redis.asyncio as aioredis

from newsbot.config import Config
from newsbot.delivery.ratelimit import Claim, RateLimiter, RateLimits, SharedBudget
from newsbot.errors import ConfigError
from newsbot.store import Store
from newsbot.store.budget import BudgetStore, window_wait

__all__ = [
    "DatabaseBudget",
    "MemoryBudget",
    "RedisBudget",
    "build_limiter",
    "redis_prefix",
    "shared_budget",
]

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class MemoryBudget:
    """Windows and pauses in this process, by an injectable monotonic ``clock``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, dict[str, tuple[float, float]]] = {}  # claim: stamp, period
        self._pauses: dict[str, float] = {}

    async def take(
        self, claim: str, claims: Sequence[Claim], pauses: Sequence[str], hold: float
    ) -> float:
        now = self._clock()
        wait = max([0.0, *(self._pauses.get(key, -math.inf) - now for key in pauses)])
        for c in claims:
            window = self._windows.setdefault(c.key, {})
            for old, (stamp, period) in list(window.items()):
                if stamp <= now - period:
                    del window[old]
            stamps = [stamp for stamp, _ in window.values()]
            wait = max(wait, window_wait(stamps, c.rate.count, c.rate.period, c.keep, now))
        if wait > 0:
            return wait
        for c in claims:
            self._windows[c.key][claim] = (now + hold, c.rate.period)
        return 0.0

    async def settle(self, claim: str, keys: Sequence[str]) -> None:
        now = self._clock()
        for key in keys:
            window = self._windows.get(key, {})
            if claim in window:
                window[claim] = (now, window[claim][1])

    async def pause(self, key: str, seconds: float) -> None:
        now = self._clock()
        self._pauses[key] = max(self._pauses.get(key, -math.inf), now + seconds)

    async def aclose(self) -> None:
        return None

    def stamps(self, key: str) -> list[float]:
        """The stamps of one window, oldest first."""
        return sorted(stamp for stamp, _ in self._windows.get(key, {}).values())


class DatabaseBudget:
    """The budget in the store's tables; the store's calls run in a worker thread."""

    def __init__(self, store: BudgetStore) -> None:
        self.store = store

    async def take(
        self, claim: str, claims: Sequence[Claim], pauses: Sequence[str], hold: float
    ) -> float:
        windows = [(c.key, c.rate.count, c.rate.period, c.keep) for c in claims]
        return await asyncio.to_thread(self.store.take, claim, windows, pauses, hold)

    async def settle(self, claim: str, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self.store.settle, claim, keys)

    async def pause(self, key: str, seconds: float) -> None:
        await asyncio.to_thread(self.store.pause, key, seconds)

    async def aclose(self) -> None:
        return None  # the store owns the engine


# KEYS: the windows, then the pauses. ARGV: claim, hold, number of windows, then
# count, period, keep of each window. Times are the Redis server's, in seconds.
# Returns the seconds to wait as a string (a Lua number would lose its fraction).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local claim, hold, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local wait = 0
for i = n + 1, #KEYS do
  local left = redis.call('PTTL', KEYS[i])
  if left > 0 then wait = math.max(wait, left / 1000) end
end
for i = 1, n do
  local count, period = tonumber(ARGV[1 + 3 * i]), tonumber(ARGV[2 + 3 * i])
  local keep = tonumber(ARGV[3 + 3 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  local over = redis.call('ZCARD', KEYS[i]) - count + 1 + keep
  if over > 0 then
    local nth = redis.call('ZRANGE', KEYS[i], over - 1, over - 1, 'WITHSCORES')
    local w = period
    if nth[2] and tonumber(nth[2]) <= now then w = tonumber(nth[2]) + period - now end
    wait = math.max(wait, w)
  end
end
if wait > 0 then return tostring(wait) end
for i = 1, n do
  local period = tonumber(ARGV[2 + 3 * i])
  redis.call('ZADD', KEYS[i], now + hold, claim)
  redis.call('PEXPIRE', KEYS[i], math.ceil((hold + period) * 1000))
end
return '0'
"""

# KEYS: the windows of a claim. ARGV: the claim. Its places are stamped now.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1])
end
return 0
"""

# KEYS: one pause. ARGV: its length in ms. A pause only ever grows.
_PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0
"""


class RedisBudget:
    """The budget in Redis, every key under ``prefix``."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)
        self._settle = client.register_script(_SETTLE)
        self._pause = client.register_script(_PAUSE)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisBudget:
        """A budget on the Redis server at ``url`` (``redis://host:6379/0``)."""
        return cls(aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), prefix)

    async def take(
        self, claim: str, claims: Sequence[Claim], pauses: Sequence[str], hold: float
    ) -> float:
        keys = [self.prefix + c.key for c in claims] + [self.prefix + "pause:" + p for p in pauses]
        args: list[str | int | float] = [claim, hold, len(claims)]
        for c in claims:
            args += [c.rate.count, c.rate.period, c.keep]
        return float(await self._take(keys=keys, args=args))

    async def settle(self, claim: str, keys: Sequence[str]) -> None:
        await self._settle(keys=[self.prefix + key for key in keys], args=[claim])

    async def pause(self, key: str, seconds: float) -> None:
        ms = max(1, math.ceil(seconds * 1000))
        await self._pause(keys=[self.prefix + "pause:" + key], args=[ms])

    async def aclose(self) -> None:
        await self.client.aclose()


def redis_prefix(token: str) -> str:
    """Keys of one bot's budget: the bot's id (the token's public part), never the token."""
    bot_id = token.split(":", 1)[0] if ":" in token else "bot"
    return f"newsbot:{bot_id}:budget:"


def shared_budget(
    spec: str, dialect: str, budget: BudgetStore | None, prefix: str
) -> SharedBudget | None:
    """The budget ``delivery.shared_limits`` names (None: this process only)."""
    if spec == "auto":
        spec = "database" if dialect == "postgresql" else "none"
    if spec == "none":
        return None
    if spec == "database":
        if budget is None:
            raise ConfigError("delivery.shared_limits = database needs the database")
        return DatabaseBudget(budget)
    if spec.startswith(REDIS_SCHEMES):
        return RedisBudget.from_url(spec, prefix)
    raise ConfigError(
        f"delivery.shared_limits must be auto, none, database or a redis:// URL, not {spec!r}"
    )


def build_limiter(config: Config, store: Store, limits: RateLimits) -> RateLimiter:
    """The limiter of this process, sharing its windows and pauses as configured."""
    shared = shared_budget(
        config.delivery.shared_limits,
        store.dialect,
        store.budget,
        redis_prefix(config.telegram.token),
    )
    return RateLimiter(limits, shared=shared)
