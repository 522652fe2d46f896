"""Typed context for handlers: the services they use, and the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from newsbot.config import Config
from newsbot.render import Renderer
from newsbot.store import Store

__all__ = ["BotData", "NewsContext", "Services", "language_of"]


@dataclass(slots=True)
class Services:
    """What handlers and jobs may use; built once by the composition root."""

    config: Config
    store: Store
    renderer: Renderer


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
