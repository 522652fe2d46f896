"""Send what the outbox holds, then exit: ``python -m newsbot.delivery.main --db URL``.

For operations (flush a backlog without the bot) and for the kill -9 test. The token
comes from ``--token`` or ``NEWSBOT_TELEGRAM_TOKEN`` (prefer the environment: a
command line is visible to every user of the machine). Exit status 0 when the
outbox is empty, 1 when messages are left (``--timeout``), 2 on bad arguments or a
refused token, 3 when the database cannot be used (one line, as ``newsbot`` says it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from sqlalchemy import Engine
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from newsbot.cli import _errors, _opening
from newsbot.delivery.budget import redis_prefix, shared_budget
from newsbot.delivery.ratelimit import RateLimiter
from newsbot.delivery.sender import Deliverer, DeliveryLimits, DrainReport
from newsbot.store.budget import BudgetStore
from newsbot.store.engine import create_store_engine, migrate
from newsbot.store.outbox import OutboxStore

__all__ = ["main"]

TOKEN_ENV = "NEWSBOT_TELEGRAM_TOKEN"
_DEFAULTS = DeliveryLimits()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m newsbot.delivery.main", description=__doc__.splitlines()[0]
    )
    p.add_argument("--db", required=True, help="database URL (sqlite:///path or postgresql://…)")
    p.add_argument(
        "--base-url",
        default="https://api.telegram.org/bot",
        help="Bot API base URL; the token is appended (default: %(default)s)",
    )
    p.add_argument("--token", default=None, help=f"bot token (default: ${TOKEN_ENV})")
    p.add_argument(
        "--overall",
        type=float,
        default=_DEFAULTS.overall_per_second,
        help="messages/s in all (default: %(default)s)",
    )
    p.add_argument(
        "--private",
        type=float,
        default=_DEFAULTS.private_per_second,
        help="messages/s to one private chat (default: %(default)s)",
    )
    p.add_argument(
        "--group-per-minute",
        type=float,
        default=_DEFAULTS.group_per_minute,
        help="messages/min to one group or channel (default: %(default)s)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=_DEFAULTS.workers,
        help="sends in flight at once (default: %(default)s)",
    )
    p.add_argument(
        "--max-attempts",
        type=int,
        default=_DEFAULTS.max_attempts,
        help="tries on network errors before giving up; 0: no cap (default: %(default)s)",
    )
    p.add_argument(
        "--retry-hours",
        type=float,
        default=_DEFAULTS.retry_hours,
        help="hours network errors are retried before giving up (default: %(default)s)",
    )
    p.add_argument("--no-limits", action="store_true", help="switch the rate limits off")
    p.add_argument(
        "--shared-limits",
        default="auto",
        help="keep the limits together with the bot's instances: none, database or "
        "redis://host:6379/0, as delivery.shared_limits; auto: database on PostgreSQL "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="give up after this many seconds (default: when the outbox is empty)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every send")
    return p


async def deliver(
    engine: Engine,
    base_url: str,
    token: str,
    limits: DeliveryLimits,
    timeout: float | None,
    shared_limits: str = "auto",
) -> DrainReport:
    """Drain the outbox of ``engine``'s database through the Bot API at ``base_url``."""
    request = HTTPXRequest(connection_pool_size=max(8, limits.workers * 2))
    bot = Bot(token, base_url=base_url, request=request)
    shared = shared_budget(
        shared_limits, engine.dialect.name, BudgetStore(engine), redis_prefix(token)
    )
    limiter = RateLimiter(limits.rate_limits(), shared=shared)
    try:
        async with bot:
            deliverer = Deliverer(OutboxStore(engine), bot, limits, limiter=limiter)
            return await deliverer.drain(timeout)
    finally:
        await limiter.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        print(f"a bot token is needed: --token or ${TOKEN_ENV}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs each request URL at INFO and PTB its base URL at DEBUG: both hold the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.verbose:
        logging.getLogger("newsbot").setLevel(logging.DEBUG)
    limits = DeliveryLimits(
        overall_per_second=args.overall,
        private_per_second=args.private,
        group_per_minute=args.group_per_minute,
        workers=args.workers,
        max_attempts=args.max_attempts,
        retry_hours=args.retry_hours,
        enabled=not args.no_limits,
    )
    # Database errors (a corrupt file, a server gone) are one line and exit 3, as in
    # ``newsbot``: the same mapping, shared with cli.py.
    with _errors():
        with _opening(args.db):
            engine = create_store_engine(args.db)
            migrate(engine)
        try:
            report = asyncio.run(
                deliver(engine, args.base_url, token, limits, args.timeout, args.shared_limits)
            )
        except InvalidToken:
            print("the Bot API refused the token", file=sys.stderr)
            return 2
        except TelegramError as exc:  # the Bot API cannot be reached at start: nothing sent
            print(
                f"cannot reach the Bot API: {str(exc).replace(token, '<token>')}", file=sys.stderr
            )
            return 1
        finally:
            engine.dispose()
    logging.getLogger(__name__).info(
        "outbox drained: %d sent, %d retried, %d failed, %d flood waits, %d chats "
        "deactivated, %d pending",
        report.sent,
        report.retried,
        report.failed,
        report.flood_waits,
        report.deactivated,
        report.pending,
    )
    return 0 if report.pending == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
