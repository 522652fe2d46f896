"""What a source's index says: feeds, sitemaps and list pages -> the article URLs they name.

Pure functions: bytes in, values out; no network, no clock. The fetcher brings the
bytes home; these read them:

* :func:`sniff` tells a feed, a sitemap and a web page apart by content (then by type);
* :func:`read_feed` reads RSS 0.9x/1.0/2.0 and Atom (through feedparser) and JSON Feed
  1.0/1.1 (by hand);
* :func:`read_sitemap` reads a ``urlset`` (Google News extensions too) or a
  ``sitemapindex``, gzipped or not, with lxml set up so that entities never expand and
  nothing is loaded from the network;
* :func:`read_list_page` reads the links of an HTML list page that match a pattern;
* :func:`read_index` dispatches on :func:`sniff`; :func:`discover_feeds` finds the
  ``<link rel="alternate">`` feeds of a web page;
* :func:`write_rss` goes the other way, so that tests and the benchmark can serve pages
  through a feed.

Every failure is a :class:`~newsbot.errors.BadIndexError` with a one-line reason.
Nothing is bounded here (ingest bounds the fields), except the size of a gunzipped body.

Dates keep the zone the text gives: feedparser normalises to UTC, so the raw string is
parsed first and ``+08:00`` stays ``+08:00``; a date without a zone (``2024-05-06
10:20:00``, common in Chinese feeds) stays naive. ``CST`` in a feed whose language is
Chinese is China Standard Time (+08:00), not US Central.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree

import feedparser
import lxml.etree
import lxml.html

from newsbot.charsets import decode_html
from newsbot.errors import BadIndexError, SeedError

__all__ = [
    "MAX_GUNZIPPED_BYTES",
    "Entry",
    "Index",
    "IndexKind",
    "decode_html",
    "discover_feeds",
    "link_pattern",
    "parse_date",
    "read_feed",
    "read_index",
    "read_list_page",
    "read_sitemap",
    "sniff",
    "write_rss",
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


# --------------------------------------------------------------------------- sniffing

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


def sniff(body: bytes, content_type: str | None) -> IndexKind:
    """Tell what kind of index *body* is: by its content first, then by *content_type*."""
    head = _text_head(_gunzip(body))
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        kind = _ROOT_KINDS.get(_root_name(head).lower())
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
    if re.search(rb"<(?:html|body|a|div|p)\b", head, re.I):
        return "html"
    raise BadIndexError("not a feed, sitemap or web page")


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


# --------------------------------------------------------------------------- feeds

_XML_DECL_ENCODING = re.compile(rb"""\A(<\?xml[^>]*?encoding\s*=\s*)(["'])([\w.:-]+)\2""")
_GB_CHARSETS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "gb_2312-80"}


def read_feed(body: bytes, url: str, content_type: str | None = None) -> Index:
    """Read an RSS, Atom or JSON feed fetched from *url*.

    A malformed feed that feedparser still reads entries from is accepted; one it reads
    none from raises :class:`BadIndexError` (``XML error at line 3: ...``). A well-formed
    feed without items is an empty index.
    """
    body = _gunzip(body)
    if _text_head(body).startswith(b"{"):
        return _read_json_feed(body, url)
    body, content_type = _as_utf8_if_gb(body, content_type)
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser has raised UnicodeDecodeError on mangled bytes
        raise BadIndexError(f"not a feed: unreadable ({type(exc).__name__})") from exc
    version = str(parsed.get("version") or "")
    problem = parsed.get("bozo_exception")
    if not parsed.entries and (not version or _is_xml_error(problem)):
        raise BadIndexError(_feed_failure(problem, body))
    feed = parsed.feed
    chinese = str(feed.get("language") or "").lower().startswith("zh")
    entries: list[Entry] = []
    skipped = 0
    for item in parsed.entries:
        entry = _feed_entry(item, url, chinese)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    kind: IndexKind = "atom" if version.startswith("atom") else "rss"
    return Index(kind, _feed_text(feed, "title"), tuple(entries), skipped=skipped)


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


def _is_xml_error(exc: object) -> bool:
    return callable(getattr(exc, "getLineNumber", None))


def _feed_failure(exc: object, body: bytes) -> str:
    if _sniff_or_none(body) == "html":
        return "not a feed: an HTML page"
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        message = getattr(exc, "getMessage", lambda: str(exc))()
        return f"XML error at line {line()}: {message}"
    return f"not a feed: {exc}" if exc else "not a feed: no RSS, Atom or JSON Feed root"


def _sniff_or_none(body: bytes) -> IndexKind | None:
    """:func:`sniff` by content only, ``None`` when the content does not say."""
    try:
        return sniff(body, None)
    except BadIndexError:
        return None


def _feed_entry(item: dict[str, Any], feed_url: str, chinese: bool) -> Entry | None:
    link = item.get("link") or _first_alternate(item)
    url = _absolute(feed_url, link) if link else None
    if url is None:
        return None
    content_html = None
    for content in item.get("content") or ():
        if "html" in str(content.get("type") or "text/html") and content.get("value"):
            content_html = str(content["value"])
            break
    summary = item.get("summary")
    if summary is not None and content_html is not None and summary == content_html:
        summary = None  # feedparser copies content into summary when there is no summary
    author = (item.get("author_detail") or {}).get("name") or item.get("author")
    tags = _unique(
        str(tag.get("term") or tag.get("label") or "").strip() for tag in item.get("tags") or ()
    )
    return Entry(
        url=url,
        title=_feed_text(item, "title"),
        published=_feed_date(item, chinese),
        summary=_feed_text(item, "summary") if summary is not None else None,
        author=_plain(author),
        tags=tags,
        content_html=content_html,
    )


def _feed_text(item: Mapping[str, Any], key: str) -> str | None:
    """A feedparser text field as plain text: HTML stripped only when the feed says HTML."""
    value = item.get(key)
    kind = str((item.get(f"{key}_detail") or {}).get("type") or "text/html")
    if not isinstance(value, str) or "html" in kind:
        return _plain(value)
    return _collapse(_CONTROL_CHARS.sub("", value)) or None


def _first_alternate(item: Mapping[str, Any]) -> str | None:
    for link in item.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _feed_date(item: dict[str, Any], chinese: bool) -> datetime | None:
    # dict.get, not item.get: feedparser's own get maps a missing "updated" to
    # "published" with a DeprecationWarning.
    for key in ("published", "updated", "created"):
        raw = dict.get(item, key)
        if not raw:
            continue
        if chinese and re.search(r"\bCST\s*$", raw):
            raw = re.sub(r"\bCST\s*$", "+0800", raw)
        parsed = parse_date(raw)
        if parsed is not None:
            return parsed
        struct = dict.get(item, f"{key}_parsed")
        if struct:
            year, month, day, hour, minute, second = struct[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


_LOOSE_DATE = re.compile(
    r"""\A\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?
    (?:[\sT]+(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?)?\s*秒?)?
    \s*(Z|[+-]\d{2}:?\d{2})?\s*\Z""",
    re.X,
)


def parse_date(text: str) -> datetime | None:
    """A date as the text gives it: RFC 822, ISO 8601 or ``2024-05-06 10:20[:00]``.

    Aware when the text has a zone (``+08:00`` kept as is), naive when it has none.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _LOOSE_DATE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    tz = None
    if zone == "Z":
        tz = UTC
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tz,
        )
    except ValueError:
        return None


def _read_json_feed(body: bytes, url: str) -> Index:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise BadIndexError("JSON Feed is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise BadIndexError(f"JSON error at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise BadIndexError("not a feed: JSON without a JSON Feed version")
    items = doc.get("items")
    if not isinstance(items, list):
        raise BadIndexError("JSON Feed has no items list")
    feed_authors = _json_authors(doc)
    entries: list[Entry] = []
    skipped = 0
    for item in items:
        entry = _json_entry(item, url, feed_authors) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    return Index("json", _plain(_str(doc.get("title"))), tuple(entries), skipped=skipped)


def _json_entry(item: dict[str, Any], feed_url: str, feed_authors: list[str]) -> Entry | None:
    link = _str(item.get("url")) or _str(item.get("external_url"))
    url = _absolute(feed_url, link) if link else None
    if url is None:
        return None
    content_html = _str(item.get("content_html"))
    if content_html is None and (text := _str(item.get("content_text"))):
        paragraphs = (p.strip() for p in re.split(r"\n\s*\n", text))
        content_html = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    date = _str(item.get("date_published")) or _str(item.get("date_modified"))
    authors = _json_authors(item) or feed_authors
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    return Entry(
        url=url,
        title=_plain(_str(item.get("title"))),
        published=parse_date(date) if date else None,
        summary=_plain(_str(item.get("summary"))),
        author=authors[0] if authors else None,
        tags=_unique(str(tag).strip() for tag in tags or () if isinstance(tag, str)),
        content_html=content_html,
    )


def _json_authors(obj: dict[str, Any]) -> list[str]:
    """Author names of a JSON Feed object: 1.1's ``authors`` list or 1.0's ``author``."""
    raw = obj.get("authors")
    people = raw if isinstance(raw, list) else [obj.get("author")]
    names = (_str(p.get("name")) for p in people if isinstance(p, dict))
    return [name.strip() for name in names if name and name.strip()]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- sitemaps


def _xml_parser() -> lxml.etree.XMLParser:
    """An lxml parser that never expands entities, loads a DTD or touches the network."""
    return lxml.etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )


def read_sitemap(body: bytes, url: str) -> Index:
    """Read a sitemap (``urlset``) or a sitemap index, gzipped or not, fetched from *url*.

    ``<lastmod>`` becomes ``published``; a Google News sitemap's ``news:title``,
    ``news:publication_date`` (preferred to lastmod) and ``news:keywords`` (tags) are read.
    """
    body, _ = _as_utf8_if_gb(_gunzip(body), None)
    try:
        root = lxml.etree.fromstring(body, _xml_parser())
    except lxml.etree.XMLSyntaxError as exc:
        message = re.sub(r", line \d+, column \d+$", "", str(exc.msg))
        raise BadIndexError(f"XML error at line {exc.lineno}: {message}") from exc
    name = lxml.etree.QName(root).localname
    if name == "sitemapindex":
        children = []
        skipped = 0
        for loc in _children(root, "sitemap", "loc"):
            child = _absolute(url, _text(loc))
            if child is None:
                skipped += 1
            elif child not in children:
                children.append(child)
        return Index("sitemapindex", None, (), tuple(children), skipped=skipped)
    if name != "urlset":
        raise BadIndexError(f"not a sitemap: XML root <{name}>")
    entries: list[Entry] = []
    seen: set[str] = set()
    skipped = 0
    for node in _elements(root, "url"):
        loc = _first(node, "loc")
        page = _absolute(url, _text(loc)) if loc is not None else None
        if page is None:
            skipped += 1
            continue
        if page in seen:
            continue
        seen.add(page)
        news = _first(node, "news")
        title = keywords = date = None
        if news is not None:
            title = _text(_first(news, "title"))
            keywords = _text(_first(news, "keywords"))
            date = _text(_first(news, "publication_date"))
        date = date or _text(_first(node, "lastmod"))
        entries.append(
            Entry(
                url=page,
                title=_plain(title),
                published=parse_date(date) if date else None,
                tags=_unique(k.strip() for k in re.split(r"[,，]", keywords or "")),
            )
        )
    return Index("sitemap", None, tuple(entries), skipped=skipped)


def _elements(parent: Any, name: str) -> Iterator[Any]:
    """Child elements of *parent* with local name *name*, whatever their namespace."""
    for child in parent:
        if isinstance(child.tag, str) and lxml.etree.QName(child).localname == name:
            yield child


def _first(parent: Any, name: str) -> Any:
    return next(_elements(parent, name), None)


def _children(root: Any, outer: str, inner: str) -> Iterator[Any]:
    for node in _elements(root, outer):
        found = _first(node, inner)
        if found is not None:
            yield found


def _text(node: Any) -> str:
    if node is None:
        return ""
    return "".join(node.itertext()).strip()


# --------------------------------------------------------------------------- web pages

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


def _charset_of(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    return match.group(1).lower() if match else None


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


# --------------------------------------------------------------------------- writing

_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"


# Characters XML 1.0 does not allow; ElementTree would write them and break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def write_rss(title: str, link: str, entries: Iterable[Entry]) -> bytes:
    """An RSS 2.0 feed (UTF-8) of *entries*, which :func:`read_feed` reads back.

    Dates are written to the second; naive ones with the ``-0000`` zone (RFC 5322: "no
    zone information") and read back naive. A title that looks like HTML (``<b>``) is
    read back as HTML, as feedparser does for every RSS title.
    """
    ElementTree.register_namespace("content", _CONTENT_NS)
    ElementTree.register_namespace("dc", _DC_NS)
    rss = ElementTree.Element("rss", version="2.0")
    channel = ElementTree.SubElement(rss, "channel")
    _add(channel, "title", title)
    _add(channel, "link", link)
    _add(channel, "description", title)
    for entry in entries:
        item = ElementTree.SubElement(channel, "item")
        _add(item, "title", entry.title)
        _add(item, "link", entry.url)
        _add(item, "guid", entry.url, isPermaLink="true")
        if entry.published is not None:
            _add(item, "pubDate", email.utils.format_datetime(entry.published))
        if entry.summary is not None:
            # description is HTML in RSS 2.0; the summary is plain text, so escape it
            _add(item, "description", html.escape(entry.summary))
        _add(item, f"{{{_DC_NS}}}creator", entry.author)
        for tag in entry.tags:
            _add(item, "category", tag)
        _add(item, f"{{{_CONTENT_NS}}}encoded", entry.content_html)
    data: bytes = ElementTree.tostring(rss, encoding="utf-8", xml_declaration=True)
    return data


def _add(parent: ElementTree.Element, tag: str, text: str | None, **attrib: str) -> None:
    """Add a child holding *text* (characters XML cannot carry dropped); none for ``None``."""
    if text is not None:
        ElementTree.SubElement(parent, tag, attrib).text = _NOT_XML.sub("", text)
