"""Typed context for handlers: the services they use, and the reader's language."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from newsbot.config import Config
from newsbot.digest.builder import DigestBuilder
from newsbot.digest.scheduler import DigestScheduler
from newsbot.render import Renderer
from newsbot.store import Store

if TYPE_CHECKING:
    from newsbot.delivery.sender import Deliverer
    from newsbot.digest.workers import DigestWorkers

__all__ = ["BotData", "NewsContext", "Services", "language_of"]


@dataclass(slots=True)
class Services:
    """What handlers and jobs may use; built once by the composition root.

    ``scheduler`` and ``deliverer`` need the running Application, so the
    composition root fills them in when it builds one. ``role`` is ``"leader"`` while
    this process polls Telegram and runs the schedule, ``"standby"`` while another
    instance does (it still sends from the outbox); ``last_telegram_ok`` is when a
    call to the Bot API last succeeded (None: not yet).
    """

    config: Config
    store: Store
    renderer: Renderer
    digests: DigestBuilder
    scheduler: DigestScheduler | None = None
    deliverer: Deliverer | None = None
    workers: DigestWorkers | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    delivery_task: asyncio.Task[None] | None = None
    role: str = "standby"
    last_telegram_ok: datetime | None = None

    def notify_delivery(self) -> None:
        """Wake the outbox: new messages are queued."""
        if self.deliverer is not None:
            self.deliverer.notify()


class BotData:
    """``application.bot_data``: holds the services (PTB builds it without arguments)."""

    services: Services | None = None


class NewsContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to the services."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:  # pragma: no cover - the composition root always sets it
            raise RuntimeError("services were not attached to the application")
        return services


def language_of(update: object) -> str:
    """``en`` for readers whose Telegram is in English, else ``zh``."""
    user = update.effective_user if isinstance(update, Update) else None
    code = (user.language_code or "") if user else ""
    return "en" if code.lower().startswith("en") else "zh"
