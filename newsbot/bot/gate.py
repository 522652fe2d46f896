"""Which updates the bot acts on: stops the others before any handler sees them."""

from __future__ import annotations

import logging
from typing import Any

from telegram import MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, TypeHandler

from newsbot.bot.context import NewsContext

__all__ = ["register", "unwanted"]

log = logging.getLogger(__name__)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Runs first, in a group of its own, so a stopped update reaches no handler."""
    app.add_handler(TypeHandler(Update, _stop_unwanted), group=-2)


def unwanted(update: Update, bot_username: str, commands: frozenset[str]) -> str | None:
    """Why the bot ignores ``update``, or None to handle it; ``commands`` are the
    bot's own command names.

    An edited message is not a new command: fixing a typo in ``/subscribe`` must
    not subscribe twice. A channel post is not addressed to the bot (and an answer
    there would be public), nor is one relayed into the channel's discussion group.
    In a group, ``/cmd@other_bot`` is another bot's, and so is a bare command the
    bot does not have (groups often hold several bots).
    """
    if update.edited_message is not None or update.edited_channel_post is not None:
        return "an edited message"
    if update.channel_post is not None:
        return "a channel post"
    message = update.message
    if message is None:
        return None
    if message.is_automatic_forward:
        return "a channel post relayed into a group"
    if not message.text or not message.entities:
        return None
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    command, _, addressee = message.parse_entity(first)[1:].partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return f"a command for @{addressee}"
    group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    if group and not addressee and command.lower() not in commands:
        return f"/{command}, not a command of this bot"
    return None


def _commands(app: Application[Any, Any, Any, Any, Any, Any]) -> frozenset[str]:
    return frozenset(
        name
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    )


async def _stop_unwanted(update: Update, context: NewsContext) -> None:
    reason = unwanted(update, context.bot.username, _commands(context.application))
    if reason is not None:
        log.debug("update %s ignored: %s", update.update_id, reason)
        raise ApplicationHandlerStop
