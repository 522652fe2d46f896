"""Reaching Telegram: a rejected token, a Bot API out of reach, a second instance.

`newsbot run` first waits until the Bot API answers ``getMe`` (:func:`reach_bot_api`),
retrying with growing pauses while the network is down, and turns a rejected token
into :class:`~newsbot.errors.TokenRejectedError` (exit 2 in the CLI). While polling,
PTB hands the errors of ``getUpdates`` to the error handler, which passes them to
:class:`PollingTrouble`: one clear line each, no traceback, a conflict said once.
Messages never hold the token (PTB puts it in its ``InvalidToken`` text).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from telegram import Bot, User
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from newsbot.config import TelegramConfig
from newsbot.delivery.sender import retry_after_seconds
from newsbot.errors import NewsbotError, TokenRejectedError

__all__ = [
    "Backoff",
    "PollingTrouble",
    "bot_api_host",
    "reach_bot_api",
    "reach_bot_api_blocking",
]

log = logging.getLogger(__name__)

TOKEN_REJECTED = (
    "Telegram rejected the bot token (401 Unauthorized): check NEWSBOT_TELEGRAM_TOKEN "
    "or [telegram] token (@BotFather's /token shows the current one)"
)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Pauses between attempts: ``first``, doubling, at most ``most`` seconds."""

    first: float = 1.0
    most: float = 60.0

    def pause(self, attempt: int) -> float:
        return float(min(self.most, self.first * 2 ** min(attempt, 30)))


def bot_api_host(config: TelegramConfig) -> str:
    """Where the Bot API is, for messages (never the token, which follows ``/bot``)."""
    return urlsplit(config.base_url).netloc if config.base_url else "api.telegram.org"


async def reach_bot_api(
    bot: Bot, where: str, stop: asyncio.Event, backoff: Backoff = Backoff()
) -> User | None:
    """``getMe``, retried while the Bot API cannot be reached; None when ``stop`` is set.

    Raises TokenRejectedError when Telegram refuses the token, NewsbotError when it
    refuses otherwise (never with the token in the message).
    """
    attempt = 0
    while not stop.is_set():
        try:
            await bot.initialize()  # getMe
            return bot.bot
        except InvalidToken:
            raise TokenRejectedError(TOKEN_REJECTED) from None
        except RetryAfter as exc:
            pause = retry_after_seconds(exc)
            log.warning("the Bot API at %s asks to wait %.0f s before starting", where, pause)
        except NetworkError as exc:  # connection refused, DNS, timeouts, 5xx
            pause = backoff.pause(attempt)
            attempt += 1
            log.warning(
                "cannot reach the Telegram Bot API at %s (%s); retrying in %.0f s",
                where,
                _reason(exc),
                pause,
            )
        except TelegramError as exc:
            raise NewsbotError(f"the Bot API at {where} refuses to start: {_reason(exc)}") from None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
    return None


def reach_bot_api_blocking(config: TelegramConfig, loop: asyncio.AbstractEventLoop) -> bool:
    """Run :func:`reach_bot_api` on ``loop``; False when SIGINT/SIGTERM came first."""
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    base = config.base_url.rstrip("/")
    bot = (
        Bot(config.token, base_url=base, base_file_url=base.removesuffix("/bot") + "/file/bot")
        if base
        else Bot(config.token)
    )

    async def attempt() -> User | None:
        try:
            return await reach_bot_api(bot, bot_api_host(config), stop)
        finally:
            await bot.shutdown()

    try:
        me = loop.run_until_complete(attempt())
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    if me is not None:
        log.info("the Bot API at %s answers: bot @%s", bot_api_host(config), me.username)
    return me is not None


@dataclass(slots=True)
class PollingTrouble:
    """Errors of fetching updates while running, as single log lines.

    A conflict (another process polling with the same token) is explained once,
    then again only after ``conflict_repeat`` seconds; a lost connection is one
    warning line per ``network_repeat`` seconds. PTB keeps retrying either way.
    """

    conflict_repeat: float = 3600.0
    network_repeat: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)
    _quiet: dict[str, int] = field(default_factory=dict)

    def handles(self, error: object) -> bool:
        return isinstance(error, Conflict | NetworkError)

    def report(self, error: BaseException, where: str) -> None:
        kind = "conflict" if isinstance(error, Conflict) else "network"
        now = self.clock()
        repeat = self.conflict_repeat if kind == "conflict" else self.network_repeat
        last = self._last.get(kind)
        if last is not None and now - last < repeat:
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
            return
        self._last[kind] = now
        again = self._quiet.pop(kind, 0)
        also = f" ({again} more since the last report)" if again else ""
        if kind == "conflict":
            log.error(
                "another process is polling Telegram with this bot token (409 Conflict): "
                "each update reaches only one of them. Stop the other newsbot (or whatever "
                "else uses the token); this one keeps running%s",
                also,
            )
        else:
            log.warning(
                "lost the connection to the Telegram Bot API at %s (%s); retrying%s",
                where,
                _reason(error),
                also,
            )


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
