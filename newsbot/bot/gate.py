"""Which updates the bot acts on: stops the others before any handler sees them."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from newsbot.bot.context import NewsContext

__all__ = ["register", "unwanted"]

log = logging.getLogger(__name__)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Runs first, in a group of its own, so a stopped update reaches no handler."""
    app.add_handler(TypeHandler(Update, _stop_unwanted), group=-2)


def unwanted(update: Update) -> str | None:
    """Why the bot ignores ``update``, or None to handle it.

    An edited message is not a new command: fixing a typo in ``/subscribe`` must
    not subscribe twice.
    """
    if update.edited_message is not None or update.edited_channel_post is not None:
        return "an edited message"
    return None


async def _stop_unwanted(update: Update, context: NewsContext) -> None:
    reason = unwanted(update)
    if reason is not None:
        log.debug("update %s ignored: %s", update.update_id, reason)
        raise ApplicationHandlerStop
