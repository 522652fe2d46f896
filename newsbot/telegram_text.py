"""Telegram's view of an HTML message: visible text and its length in UTF-16 units.

Telegram limits a message to 4096 UTF-16 code units of the text left after
entity parsing (tags removed, entities like ``&lt;`` decoded).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["MESSAGE_LIMIT", "cut_html", "html_to_plain", "utf16_len", "visible_len"]

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")
_TOKEN = re.compile(r"(<[^>]*>)|(&#?\w+;)|([^<&]+)|(.)", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """Length of a Telegram-HTML message as Telegram counts it."""
    return utf16_len(html.unescape(_TAG.sub("", markup)).strip())


def cut_html(markup: str, limit: int, ellipsis: str = "…") -> str:
    """Telegram HTML cut to at most ``limit`` visible units, ending with ``ellipsis``.

    Tags stay whole and every tag left open at the cut is closed, so the result is
    valid wherever the input was. Markup that already fits is returned unchanged.
    """
    if visible_len(markup) <= limit:
        return markup
    budget = limit - utf16_len(ellipsis)
    out: list[str] = []
    open_tags: list[str] = []
    for match in _TOKEN.finditer(markup):
        tag, entity, text, other = match.groups()
        if tag is not None:
            name = _TAG_NAME.match(tag)
            if name is not None:
                if tag.startswith("</"):
                    if open_tags and open_tags[-1] == name.group(1).lower():
                        open_tags.pop()
                elif not tag.endswith("/>"):
                    open_tags.append(name.group(1).lower())
            out.append(tag)
            continue
        token = entity if entity is not None else text if text is not None else other
        units = utf16_len(html.unescape(token))
        if units <= budget:
            out.append(token)
            budget -= units
            continue
        if text is not None:  # as much of the text as fits
            kept = ""
            for ch in text:
                if utf16_len(ch) > budget:
                    break
                kept += ch
                budget -= utf16_len(ch)
            out.append(kept)
        break
    return "".join(out).rstrip() + ellipsis + "".join(f"</{t}>" for t in reversed(open_tags))


class _Plain(HTMLParser):
    """Telegram HTML -> terminal text: links become ``text <url>``; the rest is text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._hrefs.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._hrefs:
            href = self._hrefs.pop()
            if href:
                self.parts.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_plain(markup: str) -> str:
    parser = _Plain()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)
