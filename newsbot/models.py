"""Frozen value objects that cross layers: parser -> store -> queries -> render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "Article",
    "ArticleIn",
    "Filters",
    "Precision",
    "Subscription",
    "SubscriptionSpec",
    "TagCount",
    "format_published",
]

Precision = Literal["day", "minute", "second"]


@dataclass(frozen=True, slots=True)
class ArticleIn:
    """What the parser recovers from one seed page (or one JSON record).

    ``published`` is timezone-aware; ``published_precision`` says how much of it the
    page actually printed (a page giving only ``2022.01.20`` has precision ``day``).
    ``body`` holds the article's paragraphs, in order, without page chrome.
    """

    title: str
    body: tuple[str, ...]
    summary: str = ""
    summary_generated: bool = True
    source: str | None = None
    published: datetime | None = None
    published_precision: Precision = "second"
    author: str | None = None
    editor: str | None = None
    breadcrumb: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    url: str | None = None
    # Fields the parser is unsure of ("title", "published", "body"); not stored.
    uncertain: tuple[str, ...] = ()

    @property
    def body_text(self) -> str:
        """The body as one string, paragraphs separated by a blank line."""
        return "\n\n".join(self.body)


@dataclass(frozen=True, slots=True)
class Article:
    """An article as stored: the parsed fields plus its stable short id."""

    id: str
    title: str
    body: tuple[str, ...]
    summary: str
    summary_generated: bool
    source: str | None
    published: datetime | None
    published_precision: Precision
    author: str | None
    editor: str | None
    breadcrumb: tuple[str, ...]
    keywords: tuple[str, ...]
    tags: tuple[str, ...]
    url: str | None
    ingested_at: datetime = field(compare=False)

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.body)


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str
    count: int


def format_published(published: datetime | None, precision: Precision) -> str | None:
    """ISO 8601 with offset, as precise as the page was.

    ``second`` -> ``2021-05-20T13:49:01+08:00``; ``minute`` -> ``2022-02-11T09:52+08:00``;
    ``day`` -> ``2022-01-20T00:00+08:00`` (midnight local time, the offset kept).
    """
    if published is None:
        return None
    if precision == "second":
        return published.isoformat(timespec="seconds")
    return published.isoformat(timespec="minutes")


@dataclass(frozen=True, slots=True)
class Filters:
    """What a subscription wants: any of ``tags``; all of ``include``; none of ``exclude``."""

    tags: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """The settings of a subscription, as created or changed by a command."""

    filters: Filters = Filters()
    times: tuple[str, ...] = ("08:00",)  # "HH:MM", local to ``timezone``
    weekdays_only: bool = False
    timezone: str = "Asia/Shanghai"
    max_items: int = 10
    show_summary: bool = True


@dataclass(frozen=True, slots=True)
class Subscription:
    """A stored subscription of one chat."""

    id: int
    chat_id: int
    chat_type: str  # private, group, supergroup, channel
    chat_title: str
    spec: SubscriptionSpec
    language: str
    active: bool
    inactive_reason: str | None
    cursor_at: datetime | None
    created_at: datetime
    created_by: int | None = None
