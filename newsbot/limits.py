"""Limits on article fields, applied to every article at ingest.

A seed page or JSON record may carry anything: a 4,000-character ``source``, a
title with control characters. Every field that a message shows whole is bounded
here, so any article fits Telegram's 4096-unit message in any template, and no
control character (the renderer's split marker among them) reaches the store.

==============  ======================================================
field           limit (characters)
==============  ======================================================
title           200
summary         500
source          100
author          100
editor          100
breadcrumb      10 items of 40
keywords        30 items of 64
tags            30 items of 64
url             1024; a longer URL is dropped (a cut URL leads nowhere)
==============  ======================================================

Text longer than its limit is cut at the last sentence end, else the last word
break, that fits, and ends with ``…``. Body paragraphs are not bounded (``/read``
splits them across messages); they only lose control characters.
"""

from __future__ import annotations

import re
from dataclasses import replace

from newsbot.models import ArticleIn

__all__ = ["ELLIPSIS", "FIELD_LIMITS", "bound_article", "clean_line", "shorten"]

ELLIPSIS = "…"
FIELD_LIMITS: dict[str, int] = {
    "title": 200,
    "summary": 500,
    "source": 100,
    "author": 100,
    "editor": 100,
    "breadcrumb": 40,
    "breadcrumb_items": 10,
    "keywords": 64,
    "keywords_items": 30,
    "tags": 64,
    "tags_items": 30,
    "url": 1024,
}
_SENTENCE_ENDS = "。！？!?；;…"
_WORD_BREAKS = " ，,、：:）)」』】"
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


# Unicode category Cc (C0 and C1 controls) and the separators a message must not carry.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\r\n\u2028\u2029]")


def clean_line(text: str) -> str:
    """One line of text: control characters dropped, runs of white space made one space."""
    kept = _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))
    return _SPACES.sub(" ", kept).strip()


def _clean_paragraph(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL_BUT_NEWLINE.sub("", text)  # one pass in C, not a call per character
    return _BLANK_LINES.sub("\n\n", text).strip()


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut at a sentence end or a word
    break (within the last half) and ended with ``…``; the result fits ``limit``."""
    if len(text) <= limit:
        return text
    window = text[: limit - len(ELLIPSIS)]
    floor = len(window) // 2
    cut = max(window.rfind(mark) for mark in _SENTENCE_ENDS)
    if cut >= floor:
        window = window[: cut + 1]
    else:
        cut = max(window.rfind(mark) for mark in _WORD_BREAKS)
        if cut >= floor:
            window = window[:cut]
    window = window.rstrip(" ，,、：:" + ELLIPSIS)
    return window + ELLIPSIS


def _field(value: str | None, key: str) -> str | None:
    if value is None:
        return None
    cleaned = shorten(clean_line(value), FIELD_LIMITS[key])
    return cleaned or None


def _items(values: tuple[str, ...], key: str) -> tuple[str, ...]:
    cleaned = (shorten(clean_line(v), FIELD_LIMITS[key]) for v in values)
    return tuple(dict.fromkeys(v for v in cleaned if v))[: FIELD_LIMITS[f"{key}_items"]]


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = clean_line(value)
    if not cleaned or " " in cleaned or len(cleaned) > FIELD_LIMITS["url"]:
        return None
    return cleaned


def bound_article(article: ArticleIn) -> ArticleIn:
    """The article with every field cleaned of control characters and within its limit."""
    body = tuple(p for p in (_clean_paragraph(p) for p in article.body) if p)
    title = _field(article.title, "title") or ""
    return replace(
        article,
        title=title,
        body=body or (title,),
        summary=_field(article.summary, "summary") or "",
        source=_field(article.source, "source"),
        author=_field(article.author, "author"),
        editor=_field(article.editor, "editor"),
        breadcrumb=_items(article.breadcrumb, "breadcrumb"),
        keywords=_items(article.keywords, "keywords"),
        tags=_items(article.tags, "tags"),
        url=_url(article.url),
    )
