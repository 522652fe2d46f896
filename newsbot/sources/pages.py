"""Web pages: the links of an HTML list page that match a pattern, and a page's feeds.

Pure functions: bytes in, values out; no network, no clock. Every failure is a
:class:`~newsbot.errors.BadIndexError` with a one-line reason.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
import lxml.html

from newsbot.charsets import decode_html
from newsbot.errors import BadIndexError, SeedError
from newsbot.sources.entries import (
    _CONTROL_CHARS,
    Entry,
    Index,
    _absolute,
    _collapse,
)

__all__ = [
    "discover_feeds",
    "link_pattern",
    "read_list_page",
]


_REGEX_ONLY = set("^$+?{}[]\\|()")


def link_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a list page's link pattern.

    A pattern with ``*`` and none of ``^ $ + ? { } [ ] \\ | ( )`` and no ``.*`` is a glob:
    ``*`` stands for any characters, everything else is literal, and the match must reach
    the end of the URL (``/news/*.html`` matches ``https://x.cn/news/a.html``, not
    ``.../a.html.bak``). Any other pattern is a regular expression searched anywhere in
    the absolute URL (so a plain ``/news/2024`` matches URLs containing it).
    """
    if "*" in pattern and ".*" not in pattern and not _REGEX_ONLY & set(pattern):
        return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BadIndexError(f"bad link pattern {pattern!r}: {exc}") from exc


def read_list_page(body: bytes, url: str, pattern: str, charset: str | None = None) -> Index:
    """Read the links of an HTML list page whose absolute URL matches *pattern*.

    See :func:`link_pattern` for the pattern rule. The anchor text (or its ``title``, or
    an image's ``alt``) is the entry's title; a URL linked twice is kept once, where it
    first appears, with the first non-empty title. *charset* is the HTTP header's.
    """
    wanted = link_pattern(pattern)
    root = _html_root(body, charset)
    base = _page_base(root, url)
    titles: dict[str, str | None] = {}
    links = 0
    for anchor in root.iter("a"):
        href = anchor.get("href")
        target = _absolute(base, href) if href else None
        if target is None:
            continue
        links += 1
        if not wanted.search(target):
            continue
        title = _collapse(anchor.text_content()) or _collapse(anchor.get("title") or "")
        if not title:
            title = " ".join(_collapse(img.get("alt") or "") for img in anchor.iter("img"))
        if not titles.get(target):
            titles[target] = title.strip() or None
    if not titles:
        raise BadIndexError(
            f"not a feed: HTML page without links matching {pattern!r} ({links} links seen)"
        )
    page_title = root.find(".//title")
    name = _collapse(page_title.text_content()) if page_title is not None else ""
    entries = tuple(Entry(url=link, title=title) for link, title in titles.items())
    return Index("html", name or None, entries)


_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}


def discover_feeds(body: bytes, url: str) -> tuple[str, ...]:
    """The absolute URLs of a web page's ``<link rel="alternate">`` RSS, Atom or JSON feeds."""
    root = _html_root(body, None)
    base = _page_base(root, url)
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = link.get("href")
        if "alternate" in rel and kind in _FEED_TYPES and href:
            feed = _absolute(base, href)
            if feed and feed not in found:
                found.append(feed)
    return tuple(found)


def _html_root(body: bytes, charset: str | None) -> Any:
    try:
        text = _CONTROL_CHARS.sub("", decode_html(body, charset))
    except SeedError as exc:  # no markup at all: binary, empty or undecodable
        raise BadIndexError(f"not a web page: {exc}") from None
    text = re.sub(r"\A\s*<\?xml[^>]*>", "", text)  # lxml refuses str with an XML declaration
    if not text.strip():
        raise BadIndexError("empty web page")
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise BadIndexError(f"unreadable web page: {exc}") from exc


def _page_base(root: Any, url: str) -> str:
    base = root.find(".//base[@href]")
    return (_absolute(url, base.get("href")) if base is not None else None) or url
