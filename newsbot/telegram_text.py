"""Telegram's view of an HTML message: visible text and its length in UTF-16 units.

Telegram limits a message to 4096 UTF-16 code units of the text left after
entity parsing (tags removed, entities like ``&lt;`` decoded).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["MESSAGE_LIMIT", "html_to_plain", "utf16_len", "visible_len"]

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """Length of a Telegram-HTML message as Telegram counts it."""
    return utf16_len(html.unescape(_TAG.sub("", markup)).strip())


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
