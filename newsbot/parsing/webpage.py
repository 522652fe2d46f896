"""An HTML page -> :class:`ArticleIn`: rendered as text, parsed, checked against the markup.

The page is rendered the way a text browser prints it (:mod:`.html`) and read by the
same parser as a dump (:func:`read_page`). What the markup says about itself
(:mod:`.evidence`) and what a feed item said about the page (:class:`PageHints`)
then settle the fields the text parse doubts or lacks:

* **title** -- when the parsed headline is not one the markup names (``<h1>``,
  ``og:title``, JSON-LD, ``<title>`` without the site's name) and a line of the page
  is, that line; a title the parser had to guess is replaced by the markup's.
* **published** -- when the text has no date, or one without its year, the markup's
  (``article:published_time``, ``pubdate``, JSON-LD, ``<time datetime>``) in the
  page's own time zone; a year-less printed date takes its year from a markup date
  on the same month and day, keeping the printed precision.
* **author**, **keywords** -- from the markup only when the text has none, and only
  when the value looks like people's names / a keyword list rather than the site.
* **url** -- the fetch URL, else ``<link rel=canonical>`` / ``og:url``, else the
  browser's ``saved from url`` note, else what the text printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from newsbot import nlp
from newsbot.models import ArticleIn, Precision
from newsbot.parsing.dates import CHINA_TZ
from newsbot.parsing.evidence import Evidence, gather, saved_from_url, title_cuts
from newsbot.parsing.html import decode_html, parse_tree, render
from newsbot.parsing.page import Reading, read_page
from newsbot.parsing.people import editors_in, looks_like_person

__all__ = ["PageHints", "parse_html", "read_html"]


@dataclass(frozen=True, slots=True)
class PageHints:
    """What a feed item says about the page it links to; every field optional.

    Used as evidence like the page's own ``<meta>`` tags, and to fill fields the
    page lacks. ``published`` should be timezone-aware.
    """

    title: str | None = None
    published: datetime | None = None
    summary: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()


def parse_html(
    data: bytes | str,
    *,
    url: str | None = None,
    charset: str | None = None,
    hints: PageHints | None = None,
) -> ArticleIn:
    """The article of one HTML page; raises :class:`~newsbot.errors.NoArticleError`
    when the page has none (and the errors of :func:`decode_html` for non-pages)."""
    return read_html(data, url=url, charset=charset, hints=hints, roles=False).article


def read_html(
    data: bytes | str,
    *,
    url: str | None = None,
    charset: str | None = None,
    hints: PageHints | None = None,
    roles: bool = True,
) -> Reading:
    """Read one HTML page as :func:`read_page` reads a dump: the article, each rendered
    line's role and the fields in doubt (what ``newsbot parse --explain`` shows)."""
    html = data if isinstance(data, str) else decode_html(data, charset)
    root = parse_tree(html)
    evidence = gather(root)
    hints = hints or PageHints()
    reading = read_page(
        render(root),
        roles=roles,
        known_titles=_known_titles(evidence, hints),
        known_dates=_known_dates(evidence, hints),
    )
    return _settle(reading, evidence, hints, url or evidence.url or saved_from_url(html))


_MIN_TITLE = 4  # characters: a shorter "headline" in the markup is a logo or a section
_H1_ALONE = 8  # characters: an <h1> this long is a headline even if <title> disagrees


def _known_titles(evidence: Evidence, hints: PageHints) -> list[str]:
    """Headlines the markup and the feed name, for the text parse to confirm on the page.

    ``<title>`` is cut at each separator from the right (``A_频道_网站`` gives ``A_频道``
    and ``A``) since only a line printed as one of them is taken. An ``<h1>`` is a
    site's logo or a section name on many pages: it counts when it is long enough or
    agrees with the ``<title>``."""
    cuts = title_cuts(evidence.page_title) if evidence.page_title else []
    strong = [hints.title, *evidence.titles, *cuts]
    h1s = [h for h in evidence.headlines if len(h) >= _H1_ALONE or h in cuts]
    sites = set(evidence.site_names)
    return [t for t in (*strong, *h1s) if t and len(t) >= _MIN_TITLE and t not in sites]


def _settle(reading: Reading, evidence: Evidence, hints: PageHints, url: str | None) -> Reading:
    """The reading with the fields the markup and the hints settle."""
    article = reading.article
    doubts = dict(reading.doubts)
    changes: dict[str, object] = {"url": url or article.url}
    if doubts.get("title", "").startswith("no headline"):
        title = _markup_title(evidence, hints)
        if title is not None:
            changes["title"] = title
            doubts["title"] = "no headline printed above the article: the page's markup"
    if article.published is None:
        found = _published(evidence, hints, article)
        if found is not None:
            changes["published"], changes["published_precision"] = found
            doubts["published"] = "not printed on the page: from the page's markup or feed"
    if not article.author:
        author = _author(evidence, hints, reading)
        if author is not None:
            changes["author"] = author
            doubts["author"] = "not printed on the page: from the page's markup or feed"
    if article.summary_generated and hints.summary and hints.summary.strip():
        changes["summary"], changes["summary_generated"] = " ".join(hints.summary.split()), False
    extra_tags = _markup_keywords(evidence, hints, article)
    if extra_tags:
        changes["tags"] = nlp.build_tags(
            article.breadcrumb, [*article.keywords, *extra_tags], article.title, article.body
        )
    article = replace(article, **changes, uncertain=tuple(sorted(doubts)))  # type: ignore[arg-type]
    return Reading(article, reading.lines, reading.roles, doubts)


_SITE_SEGMENT = 20  # characters: a longer last segment of a <title> is part of the headline


def _markup_title(evidence: Evidence, hints: PageHints) -> str | None:
    """The headline the feed or the markup gives, for a page that prints none."""
    long_h1s = [h for h in evidence.headlines if len(h) >= _H1_ALONE]
    for title in (hints.title, *evidence.titles, *long_h1s[:1]):
        if title and len(title) >= _MIN_TITLE:
            return _without_site(title)
    return _without_site(evidence.page_title) if evidence.page_title else None


def _without_site(title: str) -> str:
    """``title`` without the trailing site and channel names (``A_频道_网站`` -> ``A``):
    segments cut from the right while short and shorter than what is left."""
    cuts = title_cuts(title)
    kept = cuts[0]
    for head in cuts[1:]:
        tail = kept[len(head) :].strip(" _-|｜丨–—")
        if len(tail) > _SITE_SEGMENT or len(tail) >= len(head):
            break
        kept = head
    return kept


def _known_dates(evidence: Evidence, hints: PageHints) -> list[datetime]:
    dates = [hints.published] if hints.published is not None else []
    for found in evidence.dates:
        resolved = found.date.resolve()
        if resolved is not None:
            dates.append(resolved)
    return dates


def _published(
    evidence: Evidence, hints: PageHints, article: ArticleIn
) -> tuple[datetime, Precision] | None:
    """The publication time the feed or the markup gives, in the page's time zone."""
    if hints.published is not None and hints.published.tzinfo is not None:
        return hints.published.astimezone(_page_zone(hints.published)), "second"
    for found in evidence.dates:
        resolved = found.date.resolve() if found.published else None
        if resolved is not None:
            return resolved.astimezone(_page_zone(resolved)), found.date.precision
    return None


def _page_zone(value: datetime) -> tzinfo:
    """The zone to show a markup time in: its own offset, unless it is UTC (a server's
    clock, not the newsroom's): then the zone the parser assumes for the page."""
    offset = value.utcoffset()
    return value.tzinfo if offset and value.tzinfo is not None else CHINA_TZ


_NAME_SPLIT = re.compile(r"\s*[,，、;；/|｜]\s*|\s+")
_LATIN_NAME = re.compile(r"^[A-Z][a-z]+(?:[ .'-][A-Z][a-z]+){0,3}$")


def _author(evidence: Evidence, hints: PageHints, reading: Reading) -> str | None:
    """An author the feed or the markup names, when it reads as people's names and the
    page does not credit them as its editors (sites fill ``author`` with the editor)."""
    editors = {
        name
        for line in reading.lines
        for _, names in editors_in(line)
        for name in _NAME_SPLIT.split(names)
    }
    editors.update(_NAME_SPLIT.split(reading.article.editor or ""))
    sites = {*evidence.site_names, reading.article.source or ""}
    for value in (hints.author, *evidence.authors):
        if not value or value in sites:
            continue
        if _LATIN_NAME.match(value):
            return value
        names = [n for n in _NAME_SPLIT.split(value) if n]
        if names and all(looks_like_person(n) and n not in editors for n in names):
            return value
    return None


_MAX_KEYWORDS = 10
_MAX_KEYWORD = 12  # characters: a longer "keyword" is a phrase or a headline


def _markup_keywords(evidence: Evidence, hints: PageHints, article: ArticleIn) -> list[str]:
    """Keywords of the feed or the markup that the article itself uses, for its tags.

    They do not become ``keywords``, which holds what the page shows; a site's
    template keywords (its own name, its channels) are left out because the article
    does not use most of them."""
    if article.keywords:
        return []
    vocabulary = article.title + "\n" + "\n".join(article.body)
    for raw in (",".join(hints.tags), *evidence.keywords):
        items = [k for k in dict.fromkeys(_KEYWORD_SPLIT.split(raw)) if k]
        if not items or len(items) > _MAX_KEYWORDS or any(len(k) > _MAX_KEYWORD for k in items):
            continue
        used = [k for k in items if k in vocabulary]
        if len(used) * 2 > len(items):
            return used
    return []


_KEYWORD_SPLIT = re.compile(r"\s*[,，、;；|｜]\s*|\s+")
