"""The floor of index reading: what an index says (:class:`Entry`, :class:`Index`) and
the small text, URL and byte helpers every reader shares.

Pure functions: bytes in, values out; no network, no clock. The readers are in
:mod:`~newsbot.sources.feeds`, :mod:`~newsbot.sources.sitemaps` and
:mod:`~newsbot.sources.pages`; :mod:`~newsbot.sources.index` dispatches between them.
Nothing is bounded here (ingest bounds the fields), except the size of a gunzipped body.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from newsbot.errors import BadIndexError

__all__ = [
    "MAX_GUNZIPPED_BYTES",
    "Entry",
    "Index",
    "IndexKind",
]

IndexKind = Literal["rss", "atom", "json", "sitemap", "sitemapindex", "html"]

# The sitemap protocol's own limit for an uncompressed sitemap.
MAX_GUNZIPPED_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    """One article an index points at."""

    url: str
    """Absolute (resolved against the index URL and its base), no fragment, http(s) only."""
    title: str | None = None
    published: datetime | None = None
    """Aware when the index gives a zone, naive otherwise."""
    summary: str | None = None
    """Plain text: HTML stripped, entities decoded, whitespace collapsed."""
    author: str | None = None
    tags: tuple[str, ...] = ()
    content_html: str | None = None
    """The full content when the feed carries it (content:encoded, Atom content, JSON)."""


@dataclass(frozen=True, slots=True)
class Index:
    """What one index says: its kind, title and entries in the order it gives them."""

    kind: IndexKind
    title: str | None
    entries: tuple[Entry, ...]
    children: tuple[str, ...] = ()
    """A sitemap index's child sitemaps (absolute URLs)."""
    skipped: int = 0
    """Entries left out: no link, or a link that is not http(s)."""


# --------------------------------------------------------------------------- bytes

_GZIP_MAGIC = b"\x1f\x8b"
_ROOT = re.compile(rb"<([A-Za-z_][\w:.-]*)")
_PROLOG_JUNK = re.compile(
    rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S | re.I
)
_ROOT_KINDS: dict[bytes, IndexKind] = {
    b"rss": "rss",
    b"rdf": "rss",
    b"feed": "atom",
    b"urlset": "sitemap",
    b"sitemapindex": "sitemapindex",
    b"html": "html",
}
_HTML_TAG = re.compile(rb"<(?:html|body|a|div|p)\b", re.I)


def _content_kind(head: bytes) -> IndexKind | None:
    """What the first bytes of a body say it is (JSON, or a root element we know), or ``None``."""
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        return _ROOT_KINDS.get(_root_name(head).lower())
    return None


def _text_head(body: bytes) -> bytes:
    """The first bytes of *body* as ASCII-compatible bytes, BOM and leading space dropped."""
    head = body[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()


def _root_name(head: bytes) -> bytes:
    """The local name of the first element after the XML declaration, comments, doctype."""
    while True:
        match = _PROLOG_JUNK.match(head)
        if match is None or not match.group(0):
            break
        head = head[match.end() :]
    root = _ROOT.match(head)
    return root.group(1).rsplit(b":", 1)[-1] if root else b""


def _gunzip(body: bytes) -> bytes:
    """Decompress a gzip body (a ``.xml.gz`` sitemap), refusing more than the cap."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, MAX_GUNZIPPED_BYTES)
    except zlib.error as exc:
        raise BadIndexError(f"broken gzip data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise BadIndexError(f"gzip body expands beyond {MAX_GUNZIPPED_BYTES} bytes")
    if not inflater.eof:
        raise BadIndexError("broken gzip data: truncated")
    return data


# --------------------------------------------------------------------------- charsets

_XML_DECL_ENCODING = re.compile(rb"""\A(<\?xml[^>]*?encoding\s*=\s*)(["'])([\w.:-]+)\2""")
_GB_CHARSETS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "gb_2312-80"}


def _as_utf8_if_gb(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Transcode GB2312/GBK XML (and GBK bytes declared as UTF-8) to UTF-8.

    XML parsers decode a ``gb2312`` declaration strictly as GB2312 and fail on the GBK
    characters such feeds carry; GB18030 is the superset that reads them all. A body
    labelled GB that only UTF-8 decodes is taken as the UTF-8 it is.
    """
    if b"\x00" in body[:4]:
        return body, content_type  # UTF-16/32: the parsers read those themselves
    declared = _XML_DECL_ENCODING.match(body)
    name = declared.group(3).decode("ascii").lower() if declared else ""
    if name in _GB_CHARSETS or (not name and _charset_of(content_type) in _GB_CHARSETS):
        text = _decode_strict(body, "gb18030", "utf-8")
        if text is None:
            text = body.decode("gb18030", errors="replace")
    elif name in ("", "utf-8", "utf8") and _decode_strict(body, "utf-8") is None:
        text = _decode_strict(body, "gb18030")
        if text is None:
            return body, content_type
    else:
        return body, content_type
    data = text.encode("utf-8")
    if declared:
        data = _XML_DECL_ENCODING.sub(rb'\1"utf-8"', data, count=1)
    return data, "application/xml; charset=utf-8"


def _decode_strict(body: bytes, *codecs: str) -> str | None:
    """*body* decoded by the first of *codecs* that reads it without error, or ``None``."""
    for codec in codecs:
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _charset_of(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    return match.group(1).lower() if match else None


# --------------------------------------------------------------------------- text and URLs

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "table",
    "section",
    "article",
    "figure",
    "hr",
}


def _plain(value: object) -> str | None:
    """Plain text of a feed field: tags stripped, entities decoded, whitespace collapsed."""
    if not isinstance(value, str):
        return None
    text = _CONTROL_CHARS.sub("", value)
    if "<" in text:
        try:
            fragment = lxml.html.fragment_fromstring(text, create_parent="div")
        except (lxml.etree.ParserError, ValueError):
            fragment = None
        if fragment is not None:
            for bad in fragment.xpath(".//script|.//style"):
                bad.drop_tree()
            for element in fragment.iter():
                if element.tag in _BLOCKS:
                    element.tail = " " + (element.tail or "")
            text = fragment.text_content()
    else:
        text = html.unescape(text)
    return _collapse(text) or None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _absolute(base: str, link: str) -> str | None:
    """*link* resolved against *base*, fragment dropped; ``None`` unless http(s)."""
    link = link.strip()
    if not link:
        return None
    try:
        parts = urlsplit(urljoin(base, link))
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit(parts._replace(fragment=""))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
