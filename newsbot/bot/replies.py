"""Sending replies to readers: in order, under Telegram's limits, never lost to a 429.

``send_chunks`` / ``edit_chunks`` send rendered messages (several chunks in order,
buttons on the last one). Every request the bot makes goes through
:class:`ReplyLimiter` (PTB's rate-limiter hook): messages into a chat take their
place in the limiter the outbox uses too, ahead of the digest fan-out; a 429 pauses
sending for its whole ``retry_after`` and the reply is sent again; network errors
and Telegram's 5xx are retried with growing pauses. :class:`PerChatUpdates` lets
one chat's reply wait without holding up the others, while each chat's updates
stay in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

from newsbot.delivery.ratelimit import RateLimiter
from newsbot.delivery.sender import retry_after_seconds
from newsbot.ops.metrics import METRICS

__all__ = ["PerChatUpdates", "ReplyLimiter", "ReplyPatience", "edit_chunks", "send_chunks"]

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]

# Methods that put a message into a chat: they count against Telegram's flood limits.
CHAT_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "editMessageCaption"}
)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def send_chunks(
    update: Update, chunks: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send each chunk as a message to the update's chat; ``markup`` goes on the last."""
    chat = update.effective_chat
    if chat is None:
        return []
    sent = []
    for i, chunk in enumerate(chunks):
        sent.append(
            await chat.send_message(
                chunk,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup if i == len(chunks) - 1 else None,
            )
        )
    return sent


async def edit_chunks(
    update: Update, chunks: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the message whose button was pressed; extra chunks follow as new messages."""
    query = update.callback_query
    if query is None or not chunks:
        return
    first, rest = chunks[0], list(chunks[1:])
    try:
        await query.edit_message_text(
            first,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=None if rest else markup,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    if rest:
        await send_chunks(update, rest, markup)


@dataclass(frozen=True, slots=True)
class ReplyPatience:
    """How long a reply may wait: ``retry_after`` is waited out while the waits add up
    to at most ``flood_wait`` seconds; network errors are retried ``network_retries``
    times, after ``first_pause`` seconds, doubling."""

    flood_wait: float = 300.0
    network_retries: int = 4
    first_pause: float = 1.0


class ReplyLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB's rate-limiter hook, backed by the limiter the outbox uses.

    Messages into a chat (``chat_id`` > 0: a private chat, else a group or channel)
    wait for their place as urgent sends; other requests go straight through. Any
    request that meets a 429 or a network error is tried again (see ReplyPatience);
    other errors reach the handler, and the error handler apologises.
    """

    def __init__(self, limiter: RateLimiter, patience: ReplyPatience | None = None) -> None:
        self.limiter = limiter
        self.patience = patience or ReplyPatience()

    async def initialize(self) -> None:
        """Nothing to set up: the limiter lives as long as the Application."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> JSON:
        """Send through the limiter; wait out 429s, retry network errors."""
        chat_id = data.get("chat_id")
        limited = endpoint in CHAT_METHODS and isinstance(chat_id, int)
        waited = 0.0
        network_errors = 0
        while True:
            ticket = None
            if limited:
                assert isinstance(chat_id, int)
                kind = "private" if chat_id > 0 else "group"
                ticket = await self.limiter.acquire(chat_id, kind, urgent=True)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self.limiter.pause(seconds)
                if isinstance(chat_id, int):
                    self.limiter.pause_chat(chat_id, seconds)
                waited += seconds
                if waited > self.patience.flood_wait:
                    raise
                log.warning(
                    "flood control on %s to chat %s: waiting %gs, then sending again",
                    endpoint,
                    chat_id,
                    seconds,
                )
                if not limited:  # nothing else makes this request wait
                    await asyncio.sleep(seconds)
            except BadRequest:  # a BadRequest is a NetworkError in no sense: give up
                raise
            except NetworkError as exc:  # connection errors, timeouts, Telegram's 5xx
                if network_errors >= self.patience.network_retries:
                    raise
                pause = self.patience.first_pause * 2**network_errors
                network_errors += 1
                log.warning(
                    "%s to chat %s failed (%s); retry %d in %gs",
                    endpoint,
                    chat_id,
                    exc.message,
                    network_errors,
                    pause,
                )
                await asyncio.sleep(pause)
            finally:
                if ticket is not None:
                    self.limiter.release(ticket)


class PerChatUpdates(BaseUpdateProcessor):
    """Updates of different chats run side by side; those of one chat, in order.

    A reply waiting for its chat's flood limit then holds up only that chat.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int | None, tuple[asyncio.Lock, int]] = {}  # lock, users

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        """Run ``coroutine`` once the updates of the same chat before it are done."""
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else None
        lock, users = self._chats.get(key) or (asyncio.Lock(), 0)
        self._chats[key] = (lock, users + 1)
        try:
            async with lock:
                await METRICS.timed_update(coroutine)
        finally:
            lock, users = self._chats[key]
            if users == 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
