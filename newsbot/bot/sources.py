"""/source add|list|remove: live sources, for the bot's global admins."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from newsbot.bot.context import NewsContext
from newsbot.bot.subscribing import admins_only, say
from newsbot.errors import SourceError
from newsbot.models import Source, SourceSpec

__all__ = ["register", "source_lines"]


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("source", source))


async def source(update: Update, context: NewsContext) -> None:
    """/source add URL [name] [feedonly] | list | remove NAME (global admins only)."""
    if not await admins_only(update, context):
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        await list_sources(update, context)
    elif action == "add" and 2 <= len(args) <= 4:
        await add(update, context, args[1], args[2:])
    elif action == "remove" and len(args) == 2:
        await remove(update, context, args[1])
    else:
        await say(update, context, "usage.source")


async def add(update: Update, context: NewsContext, url: str, rest: list[str]) -> None:
    from newsbot.sources.manage import add_source, name_for

    services = context.services
    feed_only = any(word.lower() in ("feedonly", "feed-only") for word in rest)
    names = [word for word in rest if word.lower() not in ("feedonly", "feed-only")]
    user = update.effective_user
    who = f"@{user.username}" if user and user.username else str(user.id if user else "")
    try:
        spec = SourceSpec(
            name=names[0] if names else name_for(url), url=url, full_page=not feed_only
        )
        added = await add_source(
            services.store, spec, origin="telegram", added_by=who, config=services.config.fetch
        )
    except SourceError as exc:
        await say(update, context, "source.refused", reason=str(exc))
        return
    index = added.index
    await say(
        update,
        context,
        "source.added",
        id=added.source.id,
        name=added.source.name,
        kind=index.kind if index is not None else added.source.spec.kind,
        n=len(index.entries) if index is not None else 0,
        note=added.note or "",
    )


async def remove(update: Update, context: NewsContext, key: str) -> None:
    store = context.services.store
    try:
        removed = await asyncio.to_thread(store.sources.remove, key)
    except SourceError as exc:
        await say(update, context, "source.refused", reason=str(exc))
        return
    if removed is None:
        await say(update, context, "source.not_found", name=key)
    else:
        await say(update, context, "source.removed", id=removed.id, name=removed.name)


async def list_sources(update: Update, context: NewsContext) -> None:
    services = context.services
    found = await asyncio.to_thread(services.store.sources.all)
    if not found:
        await say(update, context, "source.none")
        return
    from newsbot.bot.context import language_of
    from newsbot.bot.replies import send_chunks

    lang = language_of(update)
    renderer = services.renderer
    pieces = [renderer.text("source.list_heading", lang) + "\n"]
    pieces += [line + "\n" for line in source_lines(found, renderer, lang)]
    await send_chunks(update, renderer.pack(pieces))


def source_lines(found: list[Source], renderer: Any, lang: str) -> list[str]:
    """One line per source, for /source list and /stats: status, pages, last error."""
    lines = []
    for item in found:
        when = (
            renderer.format_date(item.ok_at.astimezone(UTC))
            if item.ok_at is not None
            else renderer.text("source.never", lang)
        )
        lines.append(
            renderer.text(
                f"source.status_{item.status}",
                lang,
                id=item.id,
                name=item.name,
                url=item.spec.url,
                pages=item.pages,
                ok=when,
                failures=item.failures,
                reason=(item.paused_reason or item.last_error or "")[:200],
            )
        )
    return lines
