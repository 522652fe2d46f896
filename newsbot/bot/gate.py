"""Which updates the bot acts on: stops the others before any handler sees them."""

from __future__ import annotations

import logging
from typing import Any

from telegram import MessageEntity, Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from newsbot.bot.context import NewsContext

__all__ = ["register", "unwanted"]

log = logging.getLogger(__name__)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Runs first, in a group of its own, so a stopped update reaches no handler."""
    app.add_handler(TypeHandler(Update, _stop_unwanted), group=-2)


def unwanted(update: Update, bot_username: str) -> str | None:
    """Why the bot ignores ``update``, or None to handle it.

    An edited message is not a new command: fixing a typo in ``/subscribe`` must
    not subscribe twice. A channel post is not addressed to the bot (and an answer
    there would be public). ``/cmd@other_bot`` in a group is another bot's.
    """
    if update.edited_message is not None or update.edited_channel_post is not None:
        return "an edited message"
    if update.channel_post is not None:
        return "a channel post"
    message = update.message
    if message is not None and message.text and message.entities:
        first = message.entities[0]
        if first.type == MessageEntity.BOT_COMMAND and first.offset == 0:
            _, _, addressee = message.parse_entity(first).partition("@")
            if addressee and addressee.lower() != bot_username.lower():
                return f"a command for @{addressee}"
    return None


async def _stop_unwanted(update: Update, context: NewsContext) -> None:
    reason = unwanted(update, context.bot.username)
    if reason is not None:
        log.debug("update %s ignored: %s", update.update_id, reason)
        raise ApplicationHandlerStop
