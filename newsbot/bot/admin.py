"""/stats for global admins: articles, subscriptions, deliveries, failures, flood waits,
and each live source's state."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, time
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from newsbot.bot.context import NewsContext, language_of
from newsbot.bot.replies import send_chunks
from newsbot.bot.sources import source_lines
from newsbot.bot.subscribing import admins_only

__all__ = ["register"]


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("stats", stats))


async def stats(update: Update, context: NewsContext) -> None:
    """/stats (global admins only)."""
    if not await admins_only(update, context):
        return
    services = context.services
    tz = services.config.tz
    midnight = datetime.combine(datetime.now(tz).date(), time(), tzinfo=tz).astimezone(UTC)
    articles = await asyncio.to_thread(services.store.count_articles)
    subs = await asyncio.to_thread(services.store.subscriptions.counts)
    outbox = await asyncio.to_thread(services.store.outbox.stats, midnight)
    renderer = services.renderer
    lang = language_of(update)
    lines = [
        renderer.text("stats.heading", lang),
        renderer.text(
            "stats.body",
            lang,
            articles=articles,
            active=subs["active"],
            inactive=subs["inactive"],
            sent=outbox.sent,
            pending=outbox.pending,
            failed=outbox.failed,
            flood=outbox.flood_waits,
        ),
    ]
    if outbox.last_errors:
        lines += ["", renderer.text("stats.errors", lang)]
        lines += [
            f"{e.chat_id} · {renderer.format_date(e.at)} · {html.escape(e.detail[:200])}"
            for e in outbox.last_errors
        ]
    found = await asyncio.to_thread(services.store.sources.all)
    if found:
        lines += ["", renderer.text("stats.sources", lang), *source_lines(found, renderer, lang)]
    if outbox.inactive:
        lines += ["", renderer.text("stats.inactive", lang)]
        lines += [
            f"#{s.subscription_id} · {s.chat_id} · {html.escape(s.reason or '—')}"
            for s in outbox.inactive
        ]
    await send_chunks(update, renderer.pack([line + "\n" for line in lines]))
