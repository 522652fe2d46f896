"""What readers ask, shared by the bot's handlers and the terminal twins.

Each function takes plain arguments, asks the store, and returns a view ready to
render. Argument parsing lives here too, so both front ends refuse the same
inputs with the same message keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newsbot.errors import QueryError
from newsbot.render import hashtag
from newsbot.store import Page, Store
from newsbot.store.grams import MAX_QUERY_CHARS
from newsbot.views import (
    ArticleView,
    ListKind,
    ListView,
    TagsView,
    article_view,
    list_view,
)

__all__ = [
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "ListRequest",
    "UsageError",
    "article",
    "list_page",
    "nothing_key",
    "parse_count",
    "parse_list_args",
    "top_tags",
]

DEFAULT_COUNT = 5
MAX_COUNT = 20
TAG_MENU_SIZE = 12
HASHTAG_CANDIDATES = 50  # tags sharing a part with a copied hashtag, checked for a match


class UsageError(QueryError):
    """A reader's arguments don't fit; ``key`` names the catalogue message to answer with."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A list query that paging buttons can repeat with another offset."""

    kind: ListKind
    words: tuple[str, ...] = ()
    count: int = DEFAULT_COUNT
    offset: int = 0
    capped: bool = field(default=False, compare=False)

    @property
    def subject(self) -> str:
        return " ".join(self.words)


def parse_count(text: str) -> tuple[int, bool]:
    """A list size from a reader: (count, whether it was capped at MAX_COUNT)."""
    value = text.strip().translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
    try:
        count = int(value)
    except ValueError:
        raise UsageError("error.count", max=MAX_COUNT) from None
    if count < 1:
        raise UsageError("error.count", max=MAX_COUNT)
    return (MAX_COUNT, True) if count > MAX_COUNT else (count, False)


def parse_list_args(kind: ListKind, args: list[str]) -> ListRequest:
    """Arguments of /latest [n], /tag <tag> [n], /search <words>."""
    if kind == "latest":
        if len(args) > 1:
            raise UsageError("usage.latest", max=MAX_COUNT)
        count, capped = parse_count(args[0]) if args else (DEFAULT_COUNT, False)
        return ListRequest("latest", (), count, 0, capped)
    if kind == "tag":
        if not args or len(args) > 2:
            raise UsageError("usage.tag")
        count, capped = parse_count(args[1]) if len(args) == 2 else (DEFAULT_COUNT, False)
        tag = args[0].lstrip("#＃")
        if not tag:
            raise UsageError("usage.tag")
        if len(tag) > MAX_QUERY_CHARS:
            raise UsageError("error.too_long", max=MAX_QUERY_CHARS)
        return ListRequest("tag", (tag,), count, 0, capped)
    # Any whitespace separates words, the ideographic space (U+3000) included, whether
    # the words came as several arguments (the bot) or as one (a quoted CLI argument).
    words = tuple(word for arg in args for word in arg.split())
    if not words:
        raise UsageError("usage.search")
    if len(" ".join(words)) > MAX_QUERY_CHARS:
        raise UsageError("error.too_long", max=MAX_QUERY_CHARS)
    return ListRequest("search", words, DEFAULT_COUNT, 0)


def list_page(
    store: Store, request: ListRequest, bot_username: str | None, note: str = ""
) -> ListView:
    """Run a list request; raises UsageError for a search with nothing searchable."""
    subject = request.subject
    if request.kind == "latest":
        page = store.latest(request.count, request.offset)
    elif request.kind == "tag":
        page, subject = _tag_page(store, request)
    else:
        try:
            page = store.search(request.words, request.count, request.offset)
        except QueryError as exc:
            if "longer" in str(exc):
                raise UsageError("error.too_long", max=MAX_QUERY_CHARS) from None
            raise UsageError("error.nothing") from None
    return list_view(
        request.kind, subject, page.articles, page.offset, page.has_more, bot_username, note
    )


def nothing_key(request: ListRequest) -> str:
    """The message for a list that came back empty: past the last page, or nothing at all."""
    if request.offset > 0:
        return "none.more"
    return {"latest": "none.latest", "tag": "none.tag", "search": "none.search"}[request.kind]


def _tag_page(store: Store, request: ListRequest) -> tuple[Page, str]:
    """Articles of the tag as typed; else of the tag whose hashtag the reader copied
    (``#测试_标签`` stands for the tag ``测试 标签``, ``#a_b`` for ``a&b``)."""
    typed = request.words[0]
    page = store.by_tag(typed, request.count, request.offset)
    if page.articles or "_" not in typed:
        return page, typed
    wanted = hashtag(typed)
    for part in dict.fromkeys(p for p in typed.split("_") if p):
        for found in store.similar_tags(part, HASHTAG_CANDIDATES):
            if found.tag != typed and hashtag(found.tag) == wanted:
                return store.by_tag(found.tag, request.count, request.offset), found.tag
    return page, typed


def top_tags(store: Store, limit: int = TAG_MENU_SIZE) -> TagsView:
    return TagsView(tuple(store.top_tags(limit)))


def article(store: Store, article_id: str, bot_username: str | None) -> ArticleView | None:
    """The whole article by id (case and surrounding spaces ignored), or None."""
    cleaned = article_id.strip().lower()
    if cleaned.startswith("a_"):
        cleaned = cleaned[2:]
    if not cleaned.isalnum() or len(cleaned) > 16:
        return None
    found = store.get(cleaned)
    return article_view(found, bot_username) if found else None
