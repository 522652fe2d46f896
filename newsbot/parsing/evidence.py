"""What an HTML page says about itself outside its text: headline, dates, people, tags, URL.

A page's ``<h1>``, ``og:title``, ``<title>`` (without the site's name), date and
author ``<meta>`` tags, ``<time datetime>``, ``<link rel=canonical>`` and JSON-LD
``NewsArticle`` data are gathered into one :class:`Evidence` value. They are
evidence, not answers: sites fill them from templates (a site name as author, the
channel's keywords, the day's date on every page), so :mod:`.webpage` weighs them
against what the text parse found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from newsbot.parsing.dates import ParsedDate, find_date

__all__ = ["DatedValue", "Evidence", "gather", "saved_from_url", "title_cuts"]


@dataclass(frozen=True, slots=True)
class DatedValue:
    """A date found in the markup and where (``meta:article:published_time``, ``time``…);
    ``published`` is False for a modification date (good for a missing year only)."""

    where: str
    date: ParsedDate
    published: bool = True


@dataclass(frozen=True, slots=True)
class Evidence:
    """The page's own statements about the article, strongest first in each field."""

    headlines: tuple[str, ...] = ()  # <h1> texts, in page order
    titles: tuple[str, ...] = ()  # og:title, twitter:title, JSON-LD headline, ArticleTitle
    page_title: str | None = None  # <title> as written (site name and all)
    dates: tuple[DatedValue, ...] = ()
    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # each a raw keyword list as written
    description: str | None = None
    url: str | None = None
    site_names: tuple[str, ...] = ()  # og:site_name, SiteName, JSON-LD publisher


# Meta names of a publication time, strongest first; matched case-insensitively.
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "pubdate",
    "publish_date",
    "publication_date",
    "published_time",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "weibo: article:create_at",
    "weibo:article:create_at",
    "date",
)
# ...and of a modification time: not the publication, but it shares its year.
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dateupdate",
    "lastmodified",
    "last-modified",
    "weibo: article:update_at",
    "weibo:article:update_at",
)
_AUTHOR_META = ("author", "article:author", "byl", "dc.creator", "sailthru.author")
_KEYWORD_META = ("keywords", "news_keywords", "article:tag", "tags")
_TITLE_META = ("og:title", "twitter:title", "articletitle", "headline")
_SITE_META = ("og:site_name", "sitename", "application-name", "apple-mobile-web-app-title")
_URL_META = ("og:url",)
_ARTICLE_TYPES = re.compile(r"article|posting|report", re.IGNORECASE)
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
_MAX_LD = 200_000  # characters of one JSON-LD block read
_TAGS = re.compile(r"<[^>]+>")


def gather(root: etree._Element) -> Evidence:
    """Collect the :class:`Evidence` of a parsed page."""
    metas: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        name = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if name and content and content.strip():
            metas.setdefault(name.strip().lower(), []).append(_clean(content))
    ld = list(_json_ld(root))
    titles = _values(metas, _TITLE_META) + [
        h for item in ld for h in _strings(item.get("headline"))
    ]
    dates = [
        DatedValue(f"meta:{name}", parsed)
        for name in _DATE_META
        for value in metas.get(name, ())
        if (parsed := find_date(value)) is not None
    ]
    dates += [
        DatedValue("json-ld", parsed)
        for item in ld
        for value in _strings(item.get("datePublished"))
        if (parsed := find_date(value)) is not None
    ]
    dates += [
        DatedValue("json-ld", parsed, published=False)
        for item in ld
        for value in _strings(item.get("dateModified"))
        if (parsed := find_date(value)) is not None
    ]
    dates += [
        DatedValue(f"meta:{name}", parsed, published=False)
        for name in _MODIFIED_META
        for value in metas.get(name, ())
        if (parsed := find_date(value)) is not None
    ]
    dates += [
        DatedValue("time", parsed)
        for node in _article_times(root)
        if (value := node.get("datetime")) and (parsed := find_date(value)) is not None
    ]
    authors = _values(metas, _AUTHOR_META) + [a for item in ld for a in _people(item.get("author"))]
    keywords = _values(metas, _KEYWORD_META) + [
        ",".join(_strings(item.get("keywords"))) for item in ld if item.get("keywords")
    ]
    sites = _values(metas, _SITE_META) + [p for item in ld for p in _people(item.get("publisher"))]
    title_node = root.find(".//title")
    page_title = _clean("".join(title_node.itertext())) if title_node is not None else ""
    return Evidence(
        headlines=tuple(h for h in (_clean(_text(h1)) for h1 in root.iter("h1")) if h),
        titles=tuple(dict.fromkeys(t for t in titles if t)),
        page_title=page_title or None,
        dates=tuple(dates),
        authors=tuple(dict.fromkeys(a for a in authors if a)),
        keywords=tuple(k for k in keywords if k),
        description=next(iter(_values(metas, ("description", "og:description"))), None),
        url=_canonical(root, metas, ld),
        site_names=tuple(dict.fromkeys(s for s in sites if s)),
    )


def saved_from_url(html: str) -> str | None:
    """The URL a browser noted when the page was saved (``<!-- saved from url=(0042)… -->``)."""
    match = _SAVED_FROM.search(html[:4096])
    return match.group(1) if match and match.group(1).startswith(("http://", "https://")) else None


# A separator between a headline and the site's name in a <title>.
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\s[-–—]\s|-|\||｜|丨|\s—\s|—{1,2}(?=[^—]*$))\s*")


def title_cuts(title: str) -> list[str]:
    """``title`` and what is left of it with trailing segments (site, channel) cut off,
    longest first: ``A_频道_网站`` -> ``A_频道_网站``, ``A_频道``, ``A``."""
    cuts = [title]
    ends = [m.start() for m in _TITLE_SEPARATORS.finditer(title) if m.start() > 0]
    for end in reversed(ends):
        head = title[:end].strip()
        if head and head not in cuts:
            cuts.append(head)
    return cuts


def _values(metas: dict[str, list[str]], names: Iterable[str]) -> list[str]:
    return [value for name in names for value in metas.get(name, ())]


def _clean(text: str) -> str:
    return " ".join(_TAGS.sub("", text).split())


def _text(node: etree._Element) -> str:
    parts: list[str] = []
    for piece in node.itertext("*"):
        parts.append(piece)
    return "".join(parts)


def _article_times(root: etree._Element) -> list[etree._Element]:
    """The ``<time>`` elements that date the article: marked as its publication
    (``itemprop=datePublished``, ``pubdate``), else inside ``<article>``, else the only
    one on the page; a list of dated teasers says nothing about this article."""
    times = list(root.iter("time"))
    marked = [
        t for t in times if t.get("pubdate") is not None or t.get("itemprop") == "datePublished"
    ]
    if marked:
        return marked
    inside = [t for t in times if any(a.tag == "article" for a in t.iterancestors())]
    if inside:
        return inside[:1]
    return times if len(times) == 1 else []


def _json_ld(root: etree._Element) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of an article type, ``@graph`` members included."""
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        try:
            data = json.loads(script.text[:_MAX_LD], strict=False)
        except ValueError:
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds):
                    yield item


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [_clean(value)] if value.strip() else []
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _people(value: Any) -> list[str]:
    """Names in a JSON-LD ``author``/``publisher``: strings or objects with a ``name``."""
    if isinstance(value, dict):
        return _strings(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _people(v)]
    return _strings(value)


def _canonical(
    root: etree._Element, metas: dict[str, list[str]], ld: list[dict[str, Any]]
) -> str | None:
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href.startswith(("http://", "https://")):
            return href
    for value in _values(metas, _URL_META):
        if value.startswith(("http://", "https://")):
            return value
    for item in ld:
        for value in _strings(item.get("url")) + _strings(item.get("mainEntityOfPage")):
            if value.startswith(("http://", "https://")):
                return value
    return None
