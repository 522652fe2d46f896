"""/channel add|list|remove: channel subscriptions, managed from a private chat."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from newsbot.bot.context import NewsContext
from newsbot.bot.permissions import Need, check_channel, find_channel, user_may
from newsbot.bot.subscribing import actor_of, create, remove, say, show, usage
from newsbot.digest.subscriptions import parse_subscribe
from newsbot.queries import UsageError

__all__ = ["register"]


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("channel", channel))


async def channel(update: Update, context: NewsContext) -> None:
    """/channel add @name [filters] [at ...] | list [@name] | remove @name [id]"""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type != ChatType.PRIVATE:
        await say(update, context, "perm.private_only")
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        await list_channels(update, context)
    elif action == "list" and len(args) == 2:
        await list_channel(update, context, args[1])
    elif action == "add" and len(args) >= 2:
        await add(update, context, args[1], args[2:])
    elif action == "remove" and len(args) in (2, 3):
        await remove_channel(update, context, args[1], args[2] if len(args) == 3 else None)
    else:
        await say(update, context, "usage.channel")


async def _channel_id(update: Update, context: NewsContext, name: str) -> int | None:
    """The id of the channel ``@name``, or None after telling the user why not."""
    found = await find_channel(context.bot, name)
    if found.chat is None or found.problem is not None:
        await say(update, context, found.problem or "channel.not_found", channel=name)
        return None
    return found.chat.id


def _name(raw: str) -> str:
    name = raw.strip()
    if name.startswith("https://t.me/"):
        name = name.removeprefix("https://t.me/")
    if name.lstrip("-").isdigit():
        return name
    return name if name.startswith("@") else f"@{name}"


async def add(update: Update, context: NewsContext, raw_name: str, rest: list[str]) -> None:
    services = context.services
    user = update.effective_user
    assert user is not None
    name = _name(raw_name)
    try:
        spec = parse_subscribe(rest, services.config.bot.timezone)
    except UsageError as exc:
        await usage(update, context, exc, "usage.channel")
        return
    check = await check_channel(context.bot, name, user, services.config.bot.admins)
    if check.problem is not None or check.chat is None:
        await say(update, context, check.problem or "channel.not_found", channel=name)
        return
    await create(update, context, check.chat.id, ChatType.CHANNEL, check.chat.title or name, spec)


async def list_channels(update: Update, context: NewsContext) -> None:
    """Channel subscriptions this user created (all of them for a global admin)."""
    services = context.services
    user = update.effective_user
    assert user is not None
    creator = None if user.id in services.config.bot.admins else user.id
    subs = await asyncio.to_thread(services.store.subscriptions.of_type, ChatType.CHANNEL, creator)
    if not subs:
        await say(update, context, "channel.none")
        return
    await show(update, context, subs, lead="channel.list_heading")


async def list_channel(update: Update, context: NewsContext, raw_name: str) -> None:
    """One channel's subscriptions, for any of its administrators (whoever created them)."""
    services = context.services
    user = update.effective_user
    assert user is not None
    name = _name(raw_name)
    chat_id = await _channel_id(update, context, name)
    if chat_id is None:
        return
    admins = services.config.bot.admins
    problem = await user_may(context.bot, chat_id, user, admins, Need.MANAGE)
    if problem is not None:
        await say(update, context, problem, channel=name)
        return
    subs = await asyncio.to_thread(services.store.subscriptions.for_chat, chat_id)
    if not subs:
        await say(update, context, "channel.none")
        return
    await show(update, context, subs, lead="channel.list_heading")


async def remove_channel(
    update: Update, context: NewsContext, raw_name: str, wanted: str | None
) -> None:
    """Any administrator of the channel may stop the bot posting there; the bot's own
    rights do not matter. When Telegram will not say who administers the channel
    (the bot is no administrator any more), a user may remove only what they created."""
    services = context.services
    user = update.effective_user
    assert user is not None
    name = _name(raw_name)
    chat_id = await _channel_id(update, context, name)
    if chat_id is None:
        return
    problem = await user_may(context.bot, chat_id, user, services.config.bot.admins, Need.MANAGE)
    subs = await asyncio.to_thread(services.store.subscriptions.for_chat, chat_id)
    if problem == "channel.cannot_verify":
        subs = [s for s in subs if s.created_by == user.id]
        if not subs:
            await say(update, context, problem, channel=name)
            return
    elif problem is not None:
        await say(update, context, problem, channel=name)
        return
    if wanted is not None:
        subs = [s for s in subs if str(s.id) == wanted.lstrip("#")]
        if not subs:
            await say(update, context, "subs.not_found", id=wanted[:12])
            return
    for sub in subs:
        await remove(services, sub, actor_of(update))
    if wanted is not None:
        await say(update, context, "subs.removed", id=subs[0].id)
    else:
        await say(update, context, "channel.removed", n=len(subs), channel=name)
