"""Subscription commands of a chat: /subscribe, /subscriptions, /unsubscribe, /set,
/digest and /preview."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from newsbot.bot.context import NewsContext, Services, language_of
from newsbot.bot.permissions import Need, as_the_chat, may_manage_chat, user_may
from newsbot.bot.replies import send_chunks
from newsbot.digest.builder import subscriptions_view
from newsbot.digest.subscriptions import apply_settings, parse_subscribe, same_spec
from newsbot.models import Subscription, SubscriptionSpec
from newsbot.queries import UsageError
from newsbot.store.subscriptions import Actor

__all__ = ["actor_of", "create", "register"]


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("subscribe", subscribe))
    app.add_handler(CommandHandler("subscriptions", list_subscriptions))
    app.add_handler(CommandHandler("unsubscribe", unsubscribe))
    app.add_handler(CommandHandler("set", set_command))
    app.add_handler(CommandHandler("digest", digest_now))
    app.add_handler(CommandHandler("preview", preview))


def actor_of(update: Update) -> Actor:
    """Who sent the command; an anonymous administrator is recorded as the group."""
    user, chat = update.effective_user, update.effective_chat
    if chat is not None and as_the_chat(update):
        return Actor(chat.id, f"{chat.title or chat.id} (anonymous admin)")
    if user is None:
        return Actor(None, "unknown")
    return Actor(user.id, f"@{user.username}" if user.username else user.full_name)


def now() -> datetime:
    return datetime.now(UTC)


async def say(update: Update, context: NewsContext, key: str, **params: Any) -> None:
    text = context.services.renderer.text(key, language_of(update), **params)
    await send_chunks(update, [text])


async def admins_only(update: Update, context: NewsContext) -> bool:
    """True when the sender is one of the bot's global admins; refuses politely if not."""
    user = update.effective_user
    if user is not None and user.id in context.services.config.bot.admins:
        return True
    await say(update, context, "perm.admin_only")
    return False


async def guard(update: Update, context: NewsContext) -> bool:
    """True when the sender may manage this chat's subscriptions; refuses politely if not."""
    if await may_manage_chat(update, context.bot, context.services.config.bot.admins):
        return True
    await say(update, context, "perm.group_admin")
    return False


async def show(
    update: Update,
    context: NewsContext,
    subs: list[Subscription],
    lead: str | None = None,
    **lead_params: Any,
) -> None:
    services = context.services
    lang = language_of(update)
    chunks = services.renderer.render(
        "subscriptions.html.j2", subscriptions_view(subs, now()), lang
    )
    if lead:
        # Above the first message when it fits there, else in a message of its own.
        head = services.renderer.text(lead, lang, **lead_params) + "\n"
        chunks = [*services.renderer.pack([head, chunks[0]]), *chunks[1:]]
    await send_chunks(update, chunks)


async def subscribe(update: Update, context: NewsContext) -> None:
    """/subscribe [#tag ...] [word ...] [-word ...] [at HH:MM[,HH:MM]] [tz Area/City]"""
    if not await guard(update, context):
        return
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    try:
        spec = parse_subscribe(context.args or [], services.config.bot.timezone)
    except UsageError as exc:
        await usage(update, context, exc, "usage.subscribe")
        return
    title = chat.title or (update.effective_user.full_name if update.effective_user else "")
    await create(update, context, chat.id, chat.type, title or "", spec)


async def create(
    update: Update,
    context: NewsContext,
    chat_id: int,
    chat_type: str,
    title: str,
    spec: SubscriptionSpec,
) -> None:
    """Store a new subscription, schedule it, and confirm it in plain words; refuse a
    twin of one the chat has, or one over the chat's or the user's cap."""
    services = context.services
    if not await _admissible(update, context, chat_id, chat_type, spec):
        return
    sub = await asyncio.to_thread(
        services.store.subscriptions.create,
        chat_id=chat_id,
        chat_type=chat_type,
        chat_title=title,
        spec=spec,
        language=language_of(update),
        actor=actor_of(update),
        now=now(),
    )
    if services.scheduler is not None:
        services.scheduler.sync(sub)
    await show(update, context, [sub], lead="subs.created")


async def _admissible(
    update: Update, context: NewsContext, chat_id: int, chat_type: str, spec: SubscriptionSpec
) -> bool:
    store, bot_config = context.services.store.subscriptions, context.services.config.bot
    existing = await asyncio.to_thread(store.for_chat, chat_id)
    twin = next((s for s in existing if same_spec(s.spec, spec)), None)
    if twin is not None:
        await show(update, context, [twin], lead="subs.duplicate", id=twin.id)
        return False
    if len(existing) >= bot_config.max_subscriptions_per_chat:
        await say(update, context, "subs.chat_full", max=bot_config.max_subscriptions_per_chat)
        return False
    user = update.effective_user
    if chat_type == ChatType.CHANNEL and user is not None and user.id not in bot_config.admins:
        mine = await asyncio.to_thread(store.count_created_by, user.id, ChatType.CHANNEL)
        if mine >= bot_config.max_channel_subscriptions_per_user:
            cap = bot_config.max_channel_subscriptions_per_user
            await say(update, context, "subs.user_full", max=cap)
            return False
    return True


async def list_subscriptions(update: Update, context: NewsContext) -> None:
    """/subscriptions: this chat's subscriptions with ids and next delivery."""
    chat = update.effective_chat
    assert chat is not None
    subs = await asyncio.to_thread(context.services.store.subscriptions.for_chat, chat.id)
    await show(update, context, subs)


async def usage(update: Update, context: NewsContext, exc: UsageError, usage_key: str) -> None:
    renderer = context.services.renderer
    lang = language_of(update)
    lines = [renderer.text(exc.key, lang, **exc.params)]
    if exc.key != usage_key:
        lines.append(renderer.text(usage_key, lang))
    await send_chunks(update, ["\n".join(lines)])


async def find_own(
    update: Update,
    context: NewsContext,
    arg: str | None,
    command: str,
    need: Need = Need.MANAGE,
) -> Subscription | None:
    """The subscription named by ``arg`` (or the chat's only one); replies when there is none.

    In a private chat, ``arg`` may also name a channel's subscription: the user must
    then be that channel's administrator (with the right ``need``), asked of Telegram.
    """
    chat = update.effective_chat
    assert chat is not None
    subs = await asyncio.to_thread(context.services.store.subscriptions.for_chat, chat.id)
    if arg is None:
        if len(subs) == 1:
            return subs[0]
        if not subs:
            await say(update, context, "subs.none")
        else:
            await say(update, context, "subs.which", command=command, id=subs[0].id)
        return None
    wanted = arg.lstrip("#")
    if not wanted.isdigit():
        await say(update, context, "sub.bad_id")
        return None
    for sub in subs:
        if sub.id == int(wanted):
            return sub
    if chat.type == ChatType.PRIVATE:
        found = await _channel_subscription(update, context, int(wanted), need)
        if isinstance(found, Subscription):
            return found
        if found is not None:
            await say(update, context, found.key, channel=found.channel)
            return None
    await say(update, context, "subs.not_found", id=wanted[:12])
    return None


@dataclass(frozen=True, slots=True)
class _Refusal:
    key: str
    channel: str


async def _channel_subscription(
    update: Update, context: NewsContext, subscription_id: int, need: Need
) -> Subscription | _Refusal | None:
    """A channel's subscription the user may manage; a refusal worth explaining; or
    None, which is answered as "no such subscription" (a stranger learns nothing)."""
    user = update.effective_user
    assert user is not None
    services = context.services
    sub = await asyncio.to_thread(services.store.subscriptions.get, subscription_id)
    if sub is None or sub.chat_type != ChatType.CHANNEL:
        return None
    problem = await user_may(context.bot, sub.chat_id, user, services.config.bot.admins, need)
    if problem is None:
        return sub
    if problem == "channel.cannot_verify" and need is Need.MANAGE and sub.created_by == user.id:
        return sub  # the bot lost its rights there: its creator may still stop or view it
    if problem == "channel.user_not_admin":
        return None
    return _Refusal(problem, sub.chat_title)


async def unsubscribe(update: Update, context: NewsContext) -> None:
    """/unsubscribe <id>|all"""
    if not await guard(update, context):
        return
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    args = context.args or []
    if len(args) != 1:
        await say(update, context, "usage.unsubscribe")
        return
    if args[0].lower() in {"all", "全部"}:
        subs = await asyncio.to_thread(services.store.subscriptions.for_chat, chat.id)
        for sub in subs:
            await remove(services, sub, actor_of(update))
        await say(update, context, "subs.removed_all", n=len(subs))
        return
    one = await find_own(update, context, args[0], "unsubscribe", Need.MANAGE)
    if one is not None:
        await remove(services, one, actor_of(update))
        await say(update, context, "subs.removed", id=one.id)


async def remove(services: Services, sub: Subscription, actor: Actor) -> None:
    await asyncio.to_thread(services.store.subscriptions.remove, sub.id, actor, now())
    if services.scheduler is not None:
        services.scheduler.unschedule(sub.id)


async def set_command(update: Update, context: NewsContext) -> None:
    """/set <id> key=value ..."""
    if not await guard(update, context):
        return
    services = context.services
    args = context.args or []
    if len(args) < 2:
        await say(update, context, "usage.set")
        return
    sub = await find_own(update, context, args[0], "set", Need.POST)
    if sub is None:
        return
    try:
        spec = apply_settings(sub.spec, args[1:])
    except UsageError as exc:
        await usage(update, context, exc, "usage.set")
        return
    changed = await asyncio.to_thread(
        services.store.subscriptions.change, sub.id, spec, actor_of(update), now()
    )
    if services.scheduler is not None:
        services.scheduler.sync(changed)
    await show(update, context, [changed], lead="subs.changed")


async def digest_now(update: Update, context: NewsContext) -> None:
    """/digest [id]: build the next digest now; it then counts as delivered."""
    if not await guard(update, context):
        return
    services = context.services
    args = context.args or []
    sub = await find_own(update, context, args[0] if args else None, "digest", Need.POST)
    if sub is None:
        return
    moment = now()
    record = await asyncio.to_thread(
        services.digests.build, sub, moment, "manual", moment, context.bot.username
    )
    if record is None or record.messages == 0:
        await say(update, context, "subs.digest_empty", id=sub.id)
        return
    services.notify_delivery()
    chat = update.effective_chat
    if chat is not None and chat.id != sub.chat_id:  # a channel's, from a private chat
        await say(
            update,
            context,
            "subs.digest_sent_to",
            id=sub.id,
            n=record.items,
            channel=sub.chat_title,
        )


async def preview(update: Update, context: NewsContext) -> None:
    """/preview [id]: the next digest, without marking anything delivered."""
    if not await guard(update, context):
        return
    args = context.args or []
    sub = await find_own(update, context, args[0] if args else None, "preview")
    if sub is None:
        return
    chunks = await asyncio.to_thread(
        context.services.digests.preview, sub, now(), context.bot.username
    )
    await send_chunks(update, chunks)
