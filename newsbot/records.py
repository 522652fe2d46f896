"""JSON and JSON Lines seed files: articles given field by field by other tools.

A record is an object with at least ``title`` and ``body``::

    {"title": "…", "body": ["first paragraph", "second"],      # or one string,
     "published": "2021-05-20T13:49:01",                       # paragraphs split
     "source": "…", "author": "…", "editor": "…", "url": "…",  # by blank lines
     "summary": "…", "breadcrumb": ["…"], "keywords": ["…"], "tags": ["…"]}

A naive ``published`` is China time (+08:00); its precision is what was given
(``2022-01-20`` is a day, ``…T09:52`` a minute). A missing summary is generated
from the body and missing tags are built as for parsed pages. One bad record
fails the whole file with :class:`InvalidRecordError` naming its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from newsbot import nlp
from newsbot.errors import InvalidRecordError
from newsbot.models import ArticleIn, Precision

__all__ = ["looks_like_json", "parse_json_records"]

CHINA_TZ = timezone(timedelta(hours=8))
_JSON_START = re.compile(r"\s*(?:\{|\[\s*(?:\{|\]\s*$))")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_ISO_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_SECONDS = re.compile(r"[T ]\d{1,2}:\d{2}:\d{2}")
_OPTIONAL_TEXT = ("source", "author", "editor", "url", "summary")
_TEXT_LISTS = ("breadcrumb", "keywords", "tags")

_Fail = Callable[[str], InvalidRecordError]


def looks_like_json(text: str) -> bool:
    """Does this text start like a JSON object or an array of objects?

    A page dump may start with ``[logo]``; that is not JSON, ``[{`` is.
    """
    return bool(_JSON_START.match(text.lstrip("\ufeff")))


def parse_json_records(text: str, *, name: str) -> list[tuple[int, ArticleIn]]:
    """Parse every record of a JSON (``.json``) or JSON Lines file.

    Returns ``(line, article)`` pairs, ``line`` being the 1-based line where the
    record starts. ``name`` (the file name) decides the format: ``.jsonl`` /
    ``.ndjson`` are JSON Lines, ``.json`` one object or an array; for other
    names a whole-document parse is tried first.
    """
    text = text.lstrip("\ufeff")
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        objects = list(_json_lines(text))
    elif lower.endswith(".json"):
        objects = list(_json_document(text))
    else:
        try:
            objects = list(_json_document(text))
        except InvalidRecordError:
            objects = list(_json_lines(text))
    if not objects:
        raise InvalidRecordError("no records in the file", line=1)
    return [(line, _article(obj, line)) for line, obj in objects]


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidRecordError(f"not valid JSON: {exc.msg}", line=number) from exc


def _json_document(text: str) -> Iterator[tuple[int, Any]]:
    """The top-level object, or each element of a top-level array, with its start line."""
    decoder = json.JSONDecoder()

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def skip_ws(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    def decode(pos: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidRecordError(f"not valid JSON: {exc.msg}", line=exc.lineno) from exc

    pos = skip_ws(0)
    if not text.startswith("[", pos):
        value, end = decode(pos)
        if skip_ws(end) != len(text):
            raise InvalidRecordError("extra data after the JSON value", line=line_of(end))
        yield line_of(pos), value
        return
    pos = skip_ws(pos + 1)
    if text.startswith("]", pos):
        end = skip_ws(pos + 1)
    else:
        while True:
            value, end = decode(pos)
            yield line_of(pos), value
            pos = skip_ws(end)
            if text.startswith(",", pos):
                pos = skip_ws(pos + 1)
                continue
            if text.startswith("]", pos):
                end = skip_ws(pos + 1)
                break
            raise InvalidRecordError("expected ',' or ']' in the array", line=line_of(pos))
    if end != len(text):
        raise InvalidRecordError("extra data after the JSON array", line=line_of(end))


def _article(obj: Any, line: int) -> ArticleIn:
    if not isinstance(obj, dict):
        raise InvalidRecordError(f"a record must be an object, not {type(obj).__name__}", line)

    def fail(message: str) -> InvalidRecordError:
        return InvalidRecordError(message, line=line)

    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail("'title' is required and must be a non-empty string")
    body = _body(obj.get("body"), fail)
    texts: dict[str, str | None] = {}
    for key in _OPTIONAL_TEXT:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f"'{key}' must be a string or null")
        texts[key] = value.strip() or None if isinstance(value, str) else None
    lists: dict[str, tuple[str, ...] | None] = {}
    for key in _TEXT_LISTS:
        value = obj.get(key)
        if value is None:
            lists[key] = None
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"'{key}' must be a list of strings")
        lists[key] = tuple(v.strip() for v in value if v.strip())
    published, precision = _published(obj.get("published"), fail)

    title = title.strip()
    breadcrumb = lists["breadcrumb"] or ()
    keywords = lists["keywords"] or ()
    tags = lists["tags"]
    if tags is None:
        tags = nlp.build_tags(breadcrumb, keywords, title, body)
    else:
        tags = tuple(dict.fromkeys(nlp.normalise_tag(t) for t in tags if nlp.normalise_tag(t)))
    summary = texts["summary"]
    return ArticleIn(
        title=title,
        body=body,
        summary=summary if summary else nlp.generate_summary(body),
        summary_generated=not summary,
        source=texts["source"],
        published=published,
        published_precision=precision,
        author=texts["author"],
        editor=texts["editor"],
        breadcrumb=breadcrumb,
        keywords=keywords,
        tags=tags,
        url=texts["url"],
    )


def _body(value: Any, fail: _Fail) -> tuple[str, ...]:
    if isinstance(value, str):
        paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(value)]
    elif isinstance(value, list) and all(isinstance(p, str) for p in value):
        paragraphs = [p.strip() for p in value]
    else:
        raise fail("'body' is required: a string or a list of strings")
    body = tuple(p for p in paragraphs if p)
    if not body:
        raise fail("'body' is empty")
    return body


def _published(value: Any, fail: _Fail) -> tuple[datetime | None, Precision]:
    if value is None:
        return None, "second"
    if not isinstance(value, str) or not value.strip():
        raise fail("'published' must be an ISO 8601 string")
    text = value.strip()
    try:
        published = datetime.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"'published' is not ISO 8601: {text!r}") from exc
    if published.tzinfo is None:
        published = published.replace(tzinfo=CHINA_TZ)
    precision: Precision
    if _ISO_DATE_ONLY.match(text):
        precision = "day"
    elif _ISO_SECONDS.search(text):
        precision = "second"
    else:
        precision = "minute"
    return published, precision
