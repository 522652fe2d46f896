"""Reader commands: /start, /help, /latest, /tag, /tags, /search, /read and paging."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InvalidCallbackData,
    MessageHandler,
    filters,
)

from newsbot.bot.context import NewsContext, Services, language_of
from newsbot.bot.replies import edit_chunks, send_chunks
from newsbot.queries import (
    ListRequest,
    UsageError,
    article,
    list_page,
    nothing_key,
    parse_list_args,
    top_tags,
)
from newsbot.render import hashtag
from newsbot.views import READER_COMMANDS, SUBSCRIPTION_COMMANDS, HelpView, ListKind

__all__ = ["build_list_reply", "register"]

SUGGESTIONS = 6


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the reader handlers to ``app``."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("latest", latest))
    app.add_handler(CommandHandler("tag", tag))
    app.add_handler(CommandHandler("tags", tags))
    app.add_handler(CommandHandler("search", search))
    app.add_handler(CommandHandler("read", read))
    app.add_handler(CallbackQueryHandler(on_expired, pattern=InvalidCallbackData))
    app.add_handler(CallbackQueryHandler(on_button, pattern=lambda data: isinstance(data, tuple)))


def register_fallbacks(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Unknown commands and plain text. Added after every feature's handlers, in the same
    group, so they only see what no feature took."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, plain_text)
    )


async def reply_text(update: Update, context: NewsContext, key: str, **params: Any) -> None:
    text = context.services.renderer.text(key, language_of(update), **params)
    await send_chunks(update, [text])


async def start(update: Update, context: NewsContext) -> None:
    """Welcome; ``/start a_<id>`` (a deep link) opens that article."""
    if context.args and context.args[0].startswith("a_"):
        await send_article(update, context, context.args[0][2:])
        return
    lang = language_of(update)
    await send_chunks(update, context.services.renderer.render("start.html.j2", None, lang))


async def help_command(update: Update, context: NewsContext) -> None:
    """Every command with an example."""
    chunks = context.services.renderer.render(
        "help.html.j2", HelpView((*READER_COMMANDS, *SUBSCRIPTION_COMMANDS)), language_of(update)
    )
    await send_chunks(update, chunks)


async def latest(update: Update, context: NewsContext) -> None:
    """/latest [n]: the newest articles."""
    await send_list(update, context, "latest", context.args or [])


async def tag(update: Update, context: NewsContext) -> None:
    """/tag <tag> [n]: newest articles with a tag; without a tag, the tag menu."""
    if not context.args:
        await tags(update, context)
        return
    await send_list(update, context, "tag", context.args)


async def search(update: Update, context: NewsContext) -> None:
    """/search <words>: articles containing all the words."""
    await send_list(update, context, "search", context.args or [])


async def tags(update: Update, context: NewsContext) -> None:
    """/tags: the most used tags, as buttons to tap."""
    services = context.services
    view = await asyncio.to_thread(top_tags, services.store)
    chunks = services.renderer.render("tags.html.j2", view, language_of(update))
    markup = _tag_buttons([t.tag for t in view.tags])
    await send_chunks(update, chunks, markup)


async def read(update: Update, context: NewsContext) -> None:
    """/read <id>: the whole article."""
    if not context.args or len(context.args) != 1:
        await reply_text(update, context, "usage.read", example=await _example_id(context))
        return
    await send_article(update, context, context.args[0])


async def send_article(update: Update, context: NewsContext, article_id: str) -> None:
    services = context.services
    lang = language_of(update)
    view = await asyncio.to_thread(article, services.store, article_id, context.bot.username)
    if view is None:
        text = services.renderer.text("error.not_found", lang, id=article_id[:40])
        usage = services.renderer.text("usage.read", lang, example=await _example_id(context))
        await send_chunks(update, [f"{text}\n{usage}"])
        return
    await send_chunks(update, services.renderer.render("article.html.j2", view, lang))


def build_list_reply(
    services: Services, bot_username: str | None, request: ListRequest, lang: str
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """Query, render and build paging buttons; raises UsageError. Runs off the event loop."""
    renderer = services.renderer
    note = renderer.text("note.capped", lang, max=request.count) if request.capped else ""
    view = list_page(services.store, request, bot_username, note)
    if not view.items:
        chunks = _nothing_found(services, request, lang)
        if request.offset == 0:
            return chunks, None
        first = replace(request, offset=0)  # past the last page: a way back
        button = InlineKeyboardButton(
            renderer.text("button.first", lang), callback_data=("page", first)
        )
        return chunks, InlineKeyboardMarkup([[button]])
    chunks = renderer.render("article_list.html.j2", view, lang)
    buttons = []
    if request.offset > 0:
        previous = replace(request, offset=max(0, request.offset - request.count))
        buttons.append(
            InlineKeyboardButton(
                renderer.text("button.prev", lang), callback_data=("page", previous)
            )
        )
    if view.has_more:
        following = replace(request, offset=request.offset + request.count)
        buttons.append(
            InlineKeyboardButton(
                renderer.text("button.next", lang), callback_data=("page", following)
            )
        )
    return chunks, InlineKeyboardMarkup([buttons]) if buttons else None


def _nothing_found(services: Services, request: ListRequest, lang: str) -> list[str]:
    renderer = services.renderer
    store = services.store
    key = nothing_key(request)
    if key in ("none.latest", "none.more"):
        return [renderer.text(key, lang)]
    lines = [renderer.text(key, lang, tag=request.subject, query=request.subject)]
    similar: list[str] = []
    for word in request.words:
        for found in store.similar_tags(word, SUGGESTIONS):
            if found.tag not in similar:
                similar.append(found.tag)
    if similar:
        suggestions = " ".join(f"<code>/tag {html.escape(t)}</code>" for t in similar[:SUGGESTIONS])
        lines.append(f"{renderer.text('none.suggest', lang)} {suggestions}")
    else:
        lines.append(renderer.text("none.try", lang))
    return ["\n".join(lines)]


async def send_list(update: Update, context: NewsContext, kind: ListKind, args: list[str]) -> None:
    lang = language_of(update)
    try:
        request = parse_list_args(kind, args)
        chunks, markup = await asyncio.to_thread(
            build_list_reply, context.services, context.bot.username, request, lang
        )
    except UsageError as exc:
        await _usage(update, context, kind, exc)
        return
    await send_chunks(update, chunks, markup)


async def _usage(update: Update, context: NewsContext, kind: ListKind, exc: UsageError) -> None:
    renderer = context.services.renderer
    lang = language_of(update)
    lines = [renderer.text(exc.key, lang, **exc.params)]
    if not exc.key.startswith("usage."):
        lines.append(renderer.text(f"usage.{kind}", lang, max=20))
    await send_chunks(update, ["\n".join(lines)])


async def on_button(update: Update, context: NewsContext) -> None:
    """Paging (edit in place) and tag-menu buttons (a new list)."""
    query = update.callback_query
    assert query is not None
    data = query.data
    if not (isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], ListRequest)):
        await query.answer()
        return
    action, request = data
    await query.answer()
    lang = language_of(update)
    try:
        chunks, markup = await asyncio.to_thread(
            build_list_reply, context.services, context.bot.username, request, lang
        )
    except UsageError as exc:
        await _usage(update, context, request.kind, exc)
        return
    if action == "page":
        await edit_chunks(update, chunks, markup)
    else:
        await send_chunks(update, chunks, markup)


async def on_expired(update: Update, context: NewsContext) -> None:
    """A button from before a restart: its list is gone."""
    query = update.callback_query
    assert query is not None
    await query.answer(
        context.services.renderer.text("list.expired", language_of(update)), show_alert=True
    )


async def unknown_command(update: Update, context: NewsContext) -> None:
    """Any command the bot does not know: point to /help."""
    await reply_text(update, context, "error.unknown_command")


async def plain_text(update: Update, context: NewsContext) -> None:
    """Text without a command in a private chat: suggest searching for it."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    await reply_text(update, context, "error.plain_text", text=text.strip()[:30] or "…")


def _tag_buttons(names: list[str]) -> InlineKeyboardMarkup | None:
    if not names:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for i in range(0, len(names), 3):
        rows.append(
            [
                InlineKeyboardButton(
                    hashtag(name), callback_data=("open", ListRequest("tag", (name,)))
                )
                for name in names[i : i + 3]
            ]
        )
    return InlineKeyboardMarkup(rows)


async def _example_id(context: NewsContext) -> str:
    page = await asyncio.to_thread(context.services.store.latest, 1)
    return page.articles[0].id if page.articles else "abcd2345"
