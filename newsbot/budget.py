"""One send budget for every instance: the limiter a process sends through."""

from __future__ import annotations

from newsbot.config import Config
from newsbot.ratelimit import RateLimiter, RateLimits
from newsbot.store import Store

__all__ = ["build_limiter"]


def build_limiter(config: Config, store: Store, limits: RateLimits) -> RateLimiter:
    """The limiter of this process, sharing its windows and pauses as configured."""
    del config, store  # shared backends come next
    return RateLimiter(limits)
