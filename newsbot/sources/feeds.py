"""Feeds: RSS 0.9x/1.0/2.0 and Atom (through feedparser) and JSON Feed 1.0/1.1 (by hand).

Pure functions: bytes in, values out; no network, no clock.

* :func:`read_feed` reads a feed into an :class:`~newsbot.sources.entries.Index`;
* :func:`parse_date` reads the dates feeds and sitemaps give;
* :func:`write_rss` goes the other way, so that tests and the benchmark can serve pages
  through a feed.

Every failure is a :class:`~newsbot.errors.BadIndexError` with a one-line reason.

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
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree

import feedparser

from newsbot.errors import BadIndexError
from newsbot.sources.entries import (
    _CONTROL_CHARS,
    _HTML_TAG,
    Entry,
    Index,
    IndexKind,
    _absolute,
    _as_utf8_if_gb,
    _collapse,
    _content_kind,
    _gunzip,
    _plain,
    _text_head,
    _unique,
)

__all__ = [
    "parse_date",
    "read_feed",
    "write_rss",
]


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


def _is_xml_error(exc: object) -> bool:
    return callable(getattr(exc, "getLineNumber", None))


def _feed_failure(exc: object, body: bytes) -> str:
    if _is_html_page(body):
        return "not a feed: an HTML page"
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        message = getattr(exc, "getMessage", lambda: str(exc))()
        return f"XML error at line {line()}: {message}"
    return f"not a feed: {exc}" if exc else "not a feed: no RSS, Atom or JSON Feed root"


def _is_html_page(body: bytes) -> bool:
    """Whether *body*'s content alone says it is a web page (as ``sniff(body, None)``)."""
    try:
        head = _text_head(_gunzip(body))
    except BadIndexError:
        return False
    kind = _content_kind(head)
    return kind == "html" or (kind is None and _HTML_TAG.search(head) is not None)


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
