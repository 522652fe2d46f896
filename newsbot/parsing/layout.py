"""Layout repair of a text dump before its lines are read. Pure.

Text browsers print old table layouts with box-drawing borders (``│ … │``) and wrap
the text of fixed-width cells at the cell width, so one paragraph comes out as several
lines. :func:`repair` removes the borders and joins wrapped lines back into
paragraphs. Line numbers are kept: a joined continuation line is left blank, so a
line's position still points into the original dump.

A page is taken as wrapped only when it shows a wrap width: several lines ending at
the same display column, each followed by more text. Dumps of modern pages print each
paragraph on one line and have no such column, so they pass through unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["display_width", "repair"]

_BOX = re.compile(r"[\u2500-\u257f]")
_MIN_WRAP = 50  # display columns: narrower "wrapping" is a menu, not a paragraph
_MIN_WRAPPED_LINES = 8
_BULLET = re.compile(r"^\s*[•□■◆●○▪◦·*]")
_SLACK = 3  # a wrapped line may end up to this many columns before the wrap width
_ENDS = re.compile(r"[。！？!?][”’」』)）\"']*$")


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def repair(text: str) -> str:
    """The dump with table borders removed and fixed-width wrapping undone."""
    lines = text.split("\n")
    if _BOX.search(text):
        lines = [_BOX.sub(" ", line).rstrip() for line in lines]
    widths = [display_width(line.rstrip()) if line.strip() else 0 for line in lines]
    wrap = _wrap_widths(lines, widths)
    if not wrap:
        return "\n".join(lines)
    out = list(lines)
    head: int | None = None  # the line that collects a wrapped paragraph
    for i, line in enumerate(lines):
        if head is not None and line.strip():
            out[head] = _glue(out[head], line.strip())
            out[i] = ""
        else:
            head = i if line.strip() else None
        if head is not None and not _wrapped(widths[i], wrap, line):
            head = None
    return "\n".join(out)


def _wrap_widths(lines: list[str], widths: list[int]) -> set[int]:
    ends: Counter[int] = Counter()
    for i in range(len(lines) - 1):
        nxt = lines[i + 1]
        listed = _BULLET.match(nxt) or _BULLET.match(lines[i])
        if widths[i] >= _MIN_WRAP and nxt.strip() and not listed:
            ends[widths[i]] += 1
    found: set[int] = set()
    for width in ends:
        near = ends[width] + ends[width - 1]
        if near >= _MIN_WRAPPED_LINES:
            found.add(width)
    return found


def _wrapped(width: int, wrap: set[int], line: str) -> bool:
    return any(w - _SLACK <= width <= w + 1 for w in wrap) and not _ENDS.search(line.rstrip())


def _glue(left: str, right: str) -> str:
    left = left.rstrip()
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return left + " " + right
    return left + right
