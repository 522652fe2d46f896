"""What each worker process of newsbot does first (the ingest parsers, the digest builders)."""

from __future__ import annotations

import signal

__all__ = ["ignore_interrupts"]


def ignore_interrupts() -> None:
    """Pool initializer: the worker ignores SIGINT.

    A terminal's Ctrl-C reaches the whole process group. Stopping the workers is the
    parent's business (it shuts its pool down); a worker that took the interrupt
    itself would print a ``KeyboardInterrupt`` traceback, or break the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
