"""HTML of a news page -> bytes decoded, then text laid out the way a text browser prints it.

The parser reads text-browser dumps (``w3m -dump``), so an HTML page is first
rendered to that kind of text: one line per block, list items with bullets, ``<hr>``
as a rule of ``━``, images as their alt text or a bracketed piece of the file name, form
fields as ``[     ]``. What a browser would not show is dropped (scripts, styles,
``<noscript>``, ``<template>``, SVG, ``hidden`` and ``display:none`` elements).

Two choices differ from w3m on purpose, because the parser then has less to undo:

* cells of a layout table are printed one after the other, each starting its own
  line, instead of side by side and wrapped at the column width; only a row of short
  one-line cells (a data or metadata table) is set on one line, its cells apart by
  spaces as a text browser sets them;
* white space between two CJK characters is kept as one space, as browsers show it
  (w3m deletes it; the dumps kept it with ``&nbsp;``).

Everything is one pass of lxml's ``iterwalk``, so deeply nested or huge pages cost
no recursion and little time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree

from newsbot.charsets import decode_html

__all__ = ["decode_html", "html_to_text", "parse_tree"]

# ---------------------------------------------------------------------------
# The tree.
# ---------------------------------------------------------------------------


def parse_tree(html: str) -> etree._Element:
    """The lxml tree of ``html``, however broken; an empty ``<html>`` for no markup.

    libxml2 gives up on elements nested deeper than 2048 (thousands of unclosed
    ``<font>`` or ``<div>`` tags): such a page is parsed again with its nesting
    flattened, block tags turned into line breaks."""
    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses str with an encoding decl
    parser = etree.HTMLParser(huge_tree=True, recover=True, no_network=True)
    root = etree.fromstring(html, parser) if html.strip() else None
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        root = etree.fromstring(_flatten(html), parser)
    return root if root is not None else etree.fromstring("<html></html>", parser)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_INVISIBLE_TAGS = re.compile(r"<(script|style|noscript|template|svg)\b.*?</\1\s*>", re.I | re.S)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|tr|td|th|table|section|article|blockquote|dd|dt)\b[^>]*>",
    re.I,
)
_OTHER_TAG = re.compile(r"<(?!br\b|img\b|/?title\b|/?head\b|meta\b|link\b)[^>]*>", re.I)


def _flatten(html: str) -> str:
    """``html`` without nesting: block tags become ``<br>``, other tags are dropped."""
    html = _INVISIBLE_TAGS.sub("", html)
    return _OTHER_TAG.sub("", _BLOCK_TAG.sub("<br>", html))


# ---------------------------------------------------------------------------
# Rendering.
# ---------------------------------------------------------------------------

_SKIP = frozenset(
    {
        "head", "script", "style", "noscript", "template", "svg", "math", "iframe",
        "object", "embed", "canvas", "audio", "video", "option", "datalist", "title",
        "meta", "link", "base", "map", "area", "param", "source", "track",
    }
)  # fmt: skip
# Blocks set apart by a blank line, as a text browser sets them.
_SPACED = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "figure",
     "dl", "address", "table", "form", "fieldset"}
)  # fmt: skip
# Blocks that only start a new line.
_BLOCK = _SPACED | frozenset(
    {"div", "section", "article", "header", "footer", "nav", "aside", "main", "li",
     "dt", "dd", "center", "figcaption", "caption", "tr", "td", "th", "tbody", "thead",
     "tfoot", "details", "summary", "menu", "dir", "legend", "noframes", "body", "html",
     "hgroup", "search", "dialog", "frameset", "frame"}
)  # fmt: skip
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
_BULLETS = ("•", "□", "*")  # w3m's markers for list levels 1, 2, 3 and deeper
_RULE = "━" * 40
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_IMAGE_NAME = 10  # characters of a file name w3m shows for an image without alt text
_BUTTON_LABEL = 6  # characters: a longer script link is text (a headline, a teaser)
_FIELD = 20  # characters of an empty text field, as w3m draws ``[          ]``
_ROW_CELL = 40  # characters: a cell this short (one line) may share a row with others
_ROW_WIDTH = 160  # characters: a longer row is a layout, not data: cells one per line
_CELL_GAP = " " * 8  # the parser (lines.py) knows cells of a row by a gap this wide
_MAX_TABLE_DEPTH = 12  # deeper nested tables are read as plain blocks
_TEXT_INPUTS = frozenset({"text", "search", "email", "url", "tel", "number", "password", ""})
_BUTTON_INPUTS = frozenset({"submit", "button", "reset"})


def html_to_text(html: str) -> str:
    """``html`` rendered as a text browser prints it (see the module docstring)."""
    return render(parse_tree(html))


def render(root: etree._Element) -> str:
    """The text of an lxml tree, as :func:`html_to_text` describes."""
    body = root.find("body")
    out = _Canvas()
    _render(body if body is not None else root, out, 0)
    return out.text()


class _Canvas:
    """Lines being written: inline text gathers into the current line; blocks break it."""

    __slots__ = ("blank", "indent", "lines", "parts", "space")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []
        self.space = False  # a collapsed space waits before the next word
        self.blank = False  # a blank line waits before the next text
        self.indent = ""

    def write(self, text: str, *, pre: bool = False) -> None:
        if pre:
            self._flush_space()
            first, *rest = text.split("\n")
            self.parts.append(first)
            for line in rest:
                self.newline()
                self.parts.append(line)
            return
        if not text:
            return
        for index, piece in enumerate(_HTML_SPACE.split(text)):
            if index:
                self.space = True
            if piece:
                self._word(piece)

    def _word(self, piece: str) -> None:
        if self.space and self.parts:
            if self.parts[-1][-1:] not in ("", " ", "\u00a0"):
                self.parts.append(" ")
        elif not self.parts:
            if self.blank and self.lines and self.lines[-1]:
                self.lines.append("")
            self.blank = False
            self.parts.append(self.indent)
        self.space = False
        self.parts.append(piece)

    def _flush_space(self) -> None:
        if not self.parts:
            if self.blank and self.lines and self.lines[-1]:
                self.lines.append("")
            self.blank = False
            self.parts.append(self.indent)
        self.space = False

    def atom(self, text: str) -> None:
        """An inline thing that keeps its inner spaces: ``[alt]``, ``[     ]``."""
        self._word(text)

    def newline(self) -> None:
        """End the current line (a ``<br>``: an empty line when nothing was written)."""
        line = "".join(self.parts).replace("\u00a0", " ").rstrip()
        self.parts = []
        self.space = False
        if line.strip():
            self.lines.append(line)
        elif not self.blank and self.lines and self.lines[-1]:
            self.lines.append("")

    def block(self, spaced: bool) -> None:
        """A block starts or ends: break the line; a blank line before the next text."""
        if self.parts:
            self.newline()
        self.space = False
        self.blank = self.blank or spaced

    def text(self) -> str:
        self.block(False)
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines) + "\n" if self.lines else ""


def _hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return style is not None and _HIDDEN_STYLE.search(style) is not None


def _image(el: etree._Element) -> str | None:
    """The alt text as it is, else ``[`` the file name's first characters ``]`` (w3m's
    marks); None for a tracking pixel or ``alt=""`` (a decoration)."""
    if el.get("width") in ("0", "1") or el.get("height") in ("0", "1"):
        return None
    alt = el.get("alt")
    if alt is not None:
        return " ".join(alt.split()) or None
    src = el.get("src") or el.get("data-src") or ""
    try:
        name = PurePosixPath(unquote(urlsplit(src.strip()).path)).stem
    except ValueError:
        name = ""
    return f"[{name[:_IMAGE_NAME]}]"


def _field(el: etree._Element) -> str | None:
    kind = (el.get("type") or "").strip().lower()
    if kind == "hidden":
        return None
    value = " ".join((el.get("value") or "").split())
    if kind in _TEXT_INPUTS:
        return "[" + value[:_FIELD].ljust(_FIELD) + "]"
    if kind in _BUTTON_INPUTS:
        return f"[{value or kind.upper()}]"
    if kind == "checkbox":
        return "[ ]"
    if kind == "radio":
        return "( )"
    if kind == "image":
        return _image(el)
    return None


def _select(el: etree._Element) -> str:
    options = [o for o in el.iter("option")]
    chosen = next((o for o in options if o.get("selected") is not None), None)
    chosen = chosen if chosen is not None else (options[0] if options else None)
    label = " ".join(("".join(chosen.itertext()) if chosen is not None else "").split())
    return f"[{label}]"


def _render(top: etree._Element, out: _Canvas, table_depth: int) -> None:
    """Write ``top``'s subtree (not its tail) onto ``out``."""
    list_levels: list[tuple[str, int]] = []  # (tag, counter) of the open lists
    pre = 0
    walker = etree.iterwalk(top, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event in ("comment", "pi"):
            if el is not top and el.tail:
                out.write(el.tail, pre=pre > 0)
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if el is not top and (tag in _SKIP or _hidden(el)):
                walker.skip_subtree()
                if el.tail:
                    out.write(el.tail, pre=pre > 0)
                continue
            if tag == "table" and el is not top and table_depth < _MAX_TABLE_DEPTH:
                walker.skip_subtree()
                _table(el, out, table_depth + 1)
                if el.tail:
                    out.write(el.tail, pre=pre > 0)
                continue
            if tag == "a" and (label := _script_button(el)) is not None:
                walker.skip_subtree()
                out.atom(f"[{label}]")
                if el.tail:
                    out.write(el.tail, pre=pre > 0)
                continue
            _open(el, tag, out, list_levels)
            if tag == "pre":
                pre += 1
            if tag in ("select", "textarea"):
                walker.skip_subtree()
                out.atom(_select(el) if tag == "select" else "[" + " " * _FIELD + "]")
                if el.tail:
                    out.write(el.tail, pre=pre > 0)
                continue
            if el.text:
                out.write(el.text, pre=pre > 0)
        else:
            _close(tag, out, list_levels)
            if tag == "pre":
                pre -= 1
            if el is not top and el.tail:
                out.write(el.tail, pre=pre > 0)


def _script_button(el: etree._Element) -> str | None:
    """The label of a link that only runs a script (推荐, 打印, 我要说说): a button in
    all but name, so it is shown as one, ``[label]``; None for a real link."""
    href = (el.get("href") or "").strip().lower()
    if href not in ("", "#") and not href.startswith("javascript:"):
        return None
    if not href and el.get("onclick") is None:
        return None  # an anchor (<a name=…>), not a control
    label = " ".join("".join(el.itertext()).split())
    return label if 0 < len(label) <= _BUTTON_LABEL else None


def _open(el: etree._Element, tag: str, out: _Canvas, lists: list[tuple[str, int]]) -> None:
    if tag == "br":
        out.newline()
    elif tag == "img":
        shown = _image(el)
        if shown is not None:
            out.atom(shown)
    elif tag == "input":
        shown = _field(el)
        if shown is not None:
            out.atom(shown)
    elif tag == "hr":
        out.block(True)
        out.atom(_RULE)
        out.block(True)
    elif tag in _LISTS:
        out.block(not lists)
        lists.append((tag, 0))
        out.indent = "  " * len(lists)
    elif tag == "li":
        out.block(False)
        if lists:  # an item outside any list gets no marker, as w3m prints it
            kind, count = lists[-1]
            lists[-1] = (kind, count + 1)
            marker = f"{count + 1}." if kind == "ol" else _BULLETS[min(len(lists), 3) - 1]
            out.atom(marker)
            out.write(" ")
    elif tag in _BLOCK:
        out.block(tag in _SPACED)


def _close(tag: str, out: _Canvas, lists: list[tuple[str, int]]) -> None:
    if tag in _LISTS:
        if lists:
            lists.pop()
        out.indent = "  " * len(lists)
        out.block(not lists)
    elif tag in _BLOCK and tag != "hr":
        out.block(tag in _SPACED)


# ---------------------------------------------------------------------------
# Tables.
# ---------------------------------------------------------------------------


def _rows(table: etree._Element) -> Iterator[etree._Element]:
    """The table's own rows, or its other children (caption, stray text) as they come."""
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag in ("thead", "tbody", "tfoot"):
            yield from _rows(child)
        else:
            yield child


def _table(table: etree._Element, out: _Canvas, depth: int) -> None:
    """Write a table: a row of short one-line cells on one line, cells set apart by
    spaces (a data table); otherwise each cell's text one after the other."""
    out.block(True)
    if table.text and table.text.strip():
        out.write(table.text)
    for row in _rows(table):
        tag = row.tag.lower() if isinstance(row.tag, str) else ""
        if tag == "tr" and not _hidden(row):
            _row(row, out, depth)
        elif tag and tag != "tr" and tag not in _SKIP and not _hidden(row):
            _render(row, out, depth)  # a caption, or a block misplaced between rows
        if row.tail and row.tail.strip():
            out.write(row.tail)
    out.block(True)


def _row(row: etree._Element, out: _Canvas, depth: int) -> None:
    cells = [
        c
        for c in row
        if isinstance(c.tag, str) and c.tag.lower() in ("td", "th") and not _hidden(c)
    ]
    filled = [text for text in (_cell_text(c, depth) for c in cells) if text]
    one_line = all("\n" not in t and len(t) <= _ROW_CELL for t in filled)
    if len(filled) >= 2 and one_line and sum(map(len, filled)) <= _ROW_WIDTH:
        out.block(False)
        out.atom(_CELL_GAP.join(filled))
        out.block(False)
        return
    for text in filled:
        out.block(False)
        for index, line in enumerate(text.split("\n")):
            if index:
                out.newline()
            out.write(line, pre=True)
        out.block(False)


def _cell_text(cell: etree._Element, depth: int) -> str:
    canvas = _Canvas()
    _render(cell, canvas, depth)
    return canvas.text().strip("\n")
