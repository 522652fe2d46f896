"""Sitemaps: a ``urlset`` (Google News extensions too) or a ``sitemapindex``, gzipped or not.

Pure functions: bytes in, values out; no network, no clock. lxml is set up so that
entities never expand and nothing is loaded from the network. Every failure is a
:class:`~newsbot.errors.BadIndexError` with a one-line reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import lxml.etree

from newsbot.errors import BadIndexError
from newsbot.sources.entries import (
    Entry,
    Index,
    _absolute,
    _as_utf8_if_gb,
    _gunzip,
    _plain,
    _unique,
)
from newsbot.sources.feeds import parse_date

__all__ = ["read_sitemap"]


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
