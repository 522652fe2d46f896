"""Frozen value objects that cross layers: parser -> store -> queries -> render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args
from urllib.parse import urlsplit

from newsbot.errors import SourceError

__all__ = [
    "Article",
    "ArticleIn",
    "Filters",
    "Precision",
    "Source",
    "SourceKind",
    "SourceSpec",
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


SourceKind = Literal["auto", "feed", "sitemap", "list"]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A live source as an operator declares it (config file, CLI or ``/source add``).

    ``kind`` ``auto`` lets the first fetch decide (feed, sitemap, or an HTML page
    whose feed it names); ``list`` is an HTML list page whose article links match
    ``pattern``. With ``full_page`` off the feed item alone becomes the article.
    """

    name: str
    url: str
    kind: SourceKind = "auto"
    pattern: str | None = None
    interval_minutes: int = 30
    tags: tuple[str, ...] = ()
    full_page: bool = True

    def __post_init__(self) -> None:
        """Refuse what no fetch could use, with a one-line reason (SourceError)."""
        name = self.name.strip()
        if not name or len(name) > 64 or name != self.name or any(c.isspace() for c in name):
            raise SourceError("a source name is 1 to 64 characters without spaces")
        if name.isdigit():
            raise SourceError("a source name cannot be only digits (ids are)")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(f"source {name}: the URL must be http:// or https://: {self.url!r}")
        if self.kind not in get_args(SourceKind):
            raise SourceError(
                f"source {name}: kind must be one of {', '.join(get_args(SourceKind))}"
            )
        if self.kind == "list" and not self.pattern:
            raise SourceError(f"source {name}: a list page needs a link pattern")
        if not 1 <= self.interval_minutes <= 7 * 24 * 60:
            raise SourceError(f"source {name}: the interval is 1 minute to 7 days")


@dataclass(frozen=True, slots=True)
class Source:
    """A stored source with what its last rounds did."""

    id: int
    spec: SourceSpec
    origin: str  # config, cli, telegram
    added_by: str
    added_at: datetime
    etag: str | None
    last_modified: str | None
    checked_at: datetime | None
    ok_at: datetime | None
    next_at: datetime | None
    failures: int
    last_error: str | None
    paused_reason: str | None
    pages: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def status(self) -> str:
        """``paused``, ``failing``, ``ok`` or ``new``: one word for lists."""
        if self.paused_reason:
            return "paused"
        if self.failures:
            return "failing"
        return "ok" if self.ok_at else "new"
