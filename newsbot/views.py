"""The documented context objects templates render; built from store models.

Each template receives ``view`` (one of these), ``t`` (the message catalogue in the
reader's language) and ``BREAK`` (where a message may be split). Tests render
every template with these views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from newsbot.models import Article, TagCount
from newsbot.render import split_text

__all__ = [
    "READER_COMMANDS",
    "SUBSCRIPTION_COMMANDS",
    "ArticleView",
    "CommandInfo",
    "HelpView",
    "ItemView",
    "ListKind",
    "ListView",
    "TagsView",
    "article_link",
    "article_view",
    "list_view",
]

ListKind = Literal["latest", "tag", "search"]
PARAGRAPH_LIMIT = 3000  # longer paragraphs are split at sentence ends across messages


@dataclass(frozen=True, slots=True)
class ItemView:
    """One article in a list: ``number`` counts from 1 across pages."""

    number: int
    id: str
    title: str
    link: str
    summary: str
    source: str | None
    published: datetime | None
    precision: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListView:
    """A page of articles: ``kind`` with its ``subject`` (tag or query words)."""

    kind: ListKind
    subject: str
    items: tuple[ItemView, ...]
    offset: int
    has_more: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ArticleView:
    """A whole article; ``paragraphs`` are already split to fit messages."""

    id: str
    title: str
    link: str
    url: str | None
    published: datetime | None
    precision: str
    source: str | None
    author: str | None
    editor: str | None
    breadcrumb: tuple[str, ...]
    summary: str
    summary_generated: bool
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TagsView:
    """The most used tags with their article counts."""

    tags: tuple[TagCount, ...]


def article_link(article: Article, bot_username: str | None) -> str:
    """The article's own URL, else a deep link that opens it in the bot."""
    if article.url:
        return article.url
    if bot_username:
        return f"https://t.me/{bot_username}?start=a_{article.id}"
    return ""


def list_view(
    kind: ListKind,
    subject: str,
    articles: Sequence[Article],
    offset: int,
    has_more: bool,
    bot_username: str | None,
    note: str = "",
) -> ListView:
    items = tuple(
        ItemView(
            number=offset + i + 1,
            id=a.id,
            title=a.title,
            link=article_link(a, bot_username),
            summary=a.summary,
            source=a.source,
            published=a.published,
            precision=a.published_precision,
            tags=a.tags,
        )
        for i, a in enumerate(articles)
    )
    return ListView(kind, subject, items, offset, has_more, note)


def article_view(article: Article, bot_username: str | None) -> ArticleView:
    paragraphs = tuple(
        piece for paragraph in article.body for piece in split_text(paragraph, PARAGRAPH_LIMIT)
    )
    return ArticleView(
        id=article.id,
        title=article.title,
        link=article_link(article, bot_username),
        url=article.url,
        published=article.published,
        precision=article.published_precision,
        source=article.source,
        author=article.author,
        editor=article.editor,
        breadcrumb=article.breadcrumb,
        summary=article.summary,
        summary_generated=article.summary_generated,
        paragraphs=paragraphs,
        tags=article.tags,
    )


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """A reader command: its name (without /) and an example of use."""

    name: str
    example: str


@dataclass(frozen=True, slots=True)
class HelpView:
    commands: tuple[CommandInfo, ...]


READER_COMMANDS = (
    CommandInfo("latest", "/latest 10"),
    CommandInfo("tag", "/tag 营商环境"),
    CommandInfo("tags", ""),
    CommandInfo("search", "/search 高新区 服务"),
    CommandInfo("read", "/read abcd2345"),
    CommandInfo("start", ""),
    CommandInfo("help", ""),
)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription in plain words: ``next_at`` is its next delivery, local time;
    ``chat_type`` is the Telegram chat type (a channel's readers cannot manage it)."""

    id: int
    chat_title: str
    chat_type: str
    tags: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    times: tuple[str, ...]
    weekdays_only: bool
    timezone: str
    max_items: int
    show_summary: bool
    active: bool
    inactive_reason: str | None
    next_at: datetime | None


@dataclass(frozen=True, slots=True)
class DigestView:
    """One digest: ``date`` is the local delivery date; ``items`` numbered from 1."""

    subscription: SubscriptionView
    date: datetime
    items: tuple[ItemView, ...]
    show_summary: bool
    preview: bool


@dataclass(frozen=True, slots=True)
class SubscriptionsView:
    """The subscriptions of one chat (or all, for the server CLI)."""

    subscriptions: tuple[SubscriptionView, ...]


SUBSCRIPTION_COMMANDS = (
    CommandInfo("subscribe", "/subscribe #营商环境 高新区 -广告 at 08:00,18:00"),
    CommandInfo("subscriptions", ""),
    CommandInfo("set", "/set 3 at=07:30 max=5"),
    CommandInfo("unsubscribe", "/unsubscribe 3"),
    CommandInfo("digest", "/digest 3"),
    CommandInfo("preview", "/preview 3"),
    CommandInfo("channel", "/channel add @my_channel #财经 at 18:00"),
)
