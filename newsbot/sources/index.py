"""What a source's index is, and reading it: a feed, a sitemap or (with a pattern) a list page.

Pure functions: bytes in, values out; no network, no clock.

* :func:`sniff` tells a feed, a sitemap and a web page apart by content (then by type);
* :func:`read_index` dispatches on :func:`sniff` to :mod:`~newsbot.sources.feeds`,
  :mod:`~newsbot.sources.sitemaps` or :mod:`~newsbot.sources.pages`.

Every failure is a :class:`~newsbot.errors.BadIndexError` with a one-line reason.
"""

from __future__ import annotations

from newsbot.errors import BadIndexError
from newsbot.sources.entries import (
    _HTML_TAG,
    Index,
    IndexKind,
    _charset_of,
    _content_kind,
    _gunzip,
    _text_head,
)
from newsbot.sources.feeds import read_feed
from newsbot.sources.pages import discover_feeds, read_list_page
from newsbot.sources.sitemaps import read_sitemap

__all__ = ["read_index", "sniff"]


def sniff(body: bytes, content_type: str | None) -> IndexKind:
    """Tell what kind of index *body* is: by its content first, then by *content_type*."""
    head = _text_head(_gunzip(body))
    kind = _content_kind(head)
    if kind is not None:
        return kind
    mime = (content_type or "").split(";")[0].strip().lower()
    by_type: dict[str, IndexKind] = {
        "application/rss+xml": "rss",
        "application/rdf+xml": "rss",
        "application/atom+xml": "atom",
        "application/feed+json": "json",
        "application/json": "json",
        "text/html": "html",
        "application/xhtml+xml": "html",
    }
    if mime in by_type:
        return by_type[mime]
    if _HTML_TAG.search(head):
        return "html"
    raise BadIndexError("not a feed, sitemap or web page")


def read_index(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    pattern: str | None = None,
    charset: str | None = None,
) -> Index:
    """Read whatever index *body* is: a feed, a sitemap, or (with *pattern*) a list page.

    A web page without a pattern raises :class:`BadIndexError`; when the page names its
    feeds the message does too ("this is an HTML page; its feed is at ...") so that the
    caller can suggest them (:func:`discover_feeds` gives them as values).
    """
    body = _gunzip(body)
    if charset is None:
        charset = _charset_of(content_type)
    kind = sniff(body, content_type)
    if kind in ("sitemap", "sitemapindex"):
        return read_sitemap(body, url)
    if kind != "html":
        return read_feed(body, url, content_type)
    if pattern is not None:
        return read_list_page(body, url, pattern, charset)
    feeds = discover_feeds(body, url)
    if len(feeds) == 1:
        raise BadIndexError(f"this is an HTML page; its feed is at {feeds[0]}")
    if feeds:
        raise BadIndexError(f"this is an HTML page; its feeds are at {', '.join(feeds)}")
    raise BadIndexError("not a feed: HTML page without feed links (give a link pattern)")
