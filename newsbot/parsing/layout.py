"""Layout repair of a text dump before its lines are read. Pure.

Text browsers print old table layouts with box-drawing borders (``│ … │``) and wrap
the text of fixed-width cells at the cell width, so one paragraph comes out as several
lines. :func:`repair` removes the borders and joins wrapped lines back into
paragraphs; a joined continuation line is left blank, so line numbers still point
into the original dump. Tables of several columns (ruled, or set apart by spaces at
one column) are printed column after column, which moves the lines of that block.

A page is taken as wrapped only when it shows a wrap width: several lines ending at
the same display column, each followed by more text. Dumps of modern pages print each
paragraph on one line and have no such column, so they pass through unchanged.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter

__all__ = ["display_width", "repair"]

_BOX = re.compile(r"[\u2500-\u257f]")
_RULE = "│"  # the vertical rule between a box-drawn table's cells
_BORDER = re.compile(r"^\s*[\u2500-\u257f][\u2500-\u257f\s]*$")
_SEPARATOR_SHARE = 0.6
_CELL_START = re.compile(r"(?:^ {12,}| {2,}|\u3000{2,}(?= ))(?=\S)")  # text after a gap
_MIN_LEFT = 16  # display columns of the narrowest left column
_MIN_COLUMN_ROWS = 8  # rows whose right cell starts at one column
_MIN_WRAP = 50  # display columns: narrower "wrapping" is a menu, not a paragraph
_MIN_WRAPPED_LINES = 8
_BULLET = re.compile(r"^\s*[•□■◆●○▪◦·*]")
_SLACK = 3  # a wrapped line may end up to this many columns before the wrap width
_CELL_SLACK = 2  # ...and a wrapped table cell this many before its column's edge
_ENDS = re.compile(r"[。！？!?][”’」』)）\"']*$")


# East Asian wide and full-width ranges (Hangul, CJK, kana, full-width forms).
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: wide (CJK) characters count two."""
    return len(text) + len(_WIDE.findall(text))


def repair(text: str) -> str:
    """The dump with table borders removed and fixed-width wrapping undone."""
    lines = text.split("\n")
    if _BOX.search(text):
        if _RULE in text:
            lines = _unfold_tables(lines)
        lines = [_BOX.sub(" ", line).rstrip() for line in lines]
    if "          " in text:  # a column set apart by spaces needs a wide gap somewhere
        lines = _unfold_space_columns(lines)
    # A line shorter than half the narrowest wrap width cannot be a wrapped one, and a
    # page needs several long lines followed by more text before widths are worth measuring.
    long_runs = sum(
        1
        for line, nxt in itertools.pairwise(lines)
        if len(line) * 2 >= _MIN_WRAP and nxt.strip()
    )
    if long_runs < _MIN_WRAPPED_LINES:
        return "\n".join(lines)
    widths = [display_width(line.rstrip()) if len(line) * 2 >= _MIN_WRAP else 0 for line in lines]
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


def _unfold_tables(lines: list[str]) -> list[str]:
    """Print each column of a box-drawn table on its own, its wrapped cells joined.

    A text browser draws a table's columns side by side (``│ sidebar │ article │``),
    so one line holds pieces of several columns. Each block of ruled rows is
    replaced by its columns one after the other, left to right; inside a column a
    cell line that fills the column's width was wrapped there and is joined with the
    next. A table of one column (a page drawn in a frame) keeps its line count.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _RULE not in lines[i]:
            out.append(lines[i])
            i += 1
            continue
        end = i
        while end < len(lines) and (_RULE in lines[end] or _BORDER.match(lines[end])):
            end += 1
        out.extend(_columns(lines[i:end]))
        i = end
    return out


def _columns(block: list[str]) -> list[str]:
    rows = [line for line in block if _RULE in line]
    seps: Counter[int] = Counter()
    for row in rows:
        seps.update(_display_positions(row))
    cuts = sorted(col for col, n in seps.items() if n >= _SEPARATOR_SHARE * len(rows))
    if not cuts:
        return block
    cells = [_cut(line, cuts) if _RULE in line else [""] * (len(cuts) + 1) for line in block]
    widths = [b - a - 1 for a, b in zip([-1, *cuts], [*cuts, 10_000], strict=True)]
    out: list[str] = []
    for col in range(len(cuts) + 1):
        column = [row[col] for row in cells]
        if not any(cell.strip() for cell in column):
            continue
        out.extend(_join_wrapped(column, widths[col]))
    return out


def _display_positions(row: str) -> list[int]:
    found: list[int] = []
    col = 0
    for ch in row:
        if ch == _RULE:
            found.append(col)
        col += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return found


def _cut(row: str, cuts: list[int]) -> list[str]:
    """``row`` split at the display columns ``cuts`` (the separators dropped)."""
    cells = [""] * (len(cuts) + 1)
    col = 0
    index = 0
    for ch in row:
        while index < len(cuts) and col > cuts[index]:
            index += 1
        if not (index < len(cuts) and col == cuts[index]):
            cells[index] += ch
        col += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return [cell.rstrip() for cell in cells]


def _join_wrapped(column: list[str], width: int) -> list[str]:
    out = list(column)
    head: int | None = None
    for i, cell in enumerate(column):
        if head is not None and cell.strip():
            out[head] = _glue(out[head], cell.strip())
            out[i] = ""
        else:
            head = i if cell.strip() else None
        full = display_width(cell) >= width - _CELL_SLACK and not _ENDS.search(cell)
        if head is not None and not full:
            head = None
    return out


def _unfold_space_columns(lines: list[str]) -> list[str]:
    """A borderless two-column layout: the right column's text starts at one display
    column on many lines in a row (``·链接一      正文……``). The block is printed as its
    left column, then its right column with the lines it wrapped joined."""
    starts: dict[int, list[int]] = {}
    for index, line in enumerate(lines):
        for match in _CELL_START.finditer(line):
            column = display_width(line[: match.end()])
            if column >= _MIN_LEFT:
                starts.setdefault(column, []).append(index)
    best: tuple[int, list[int]] | None = None
    for column, rows in starts.items():
        if len(rows) >= _MIN_COLUMN_ROWS and (best is None or len(rows) > len(best[1])):
            best = (column, rows)
    if best is None:
        return lines
    column, rows = best
    first, last = rows[0], rows[-1]
    if (last - first + 1) > 3 * len(rows):  # scattered, not one block
        return lines
    left: list[str] = []
    right: list[str] = []
    for line in lines[first : last + 1]:
        cut = _cut_at(line, column)
        left.append(line[:cut].rstrip())
        right.append(line[cut:].rstrip())
    width = max(display_width(cell) for cell in right)
    return [*lines[:first], *left, *_join_wrapped(right, width), *lines[last + 1 :]]


def _cut_at(line: str, column: int) -> int:
    """The index in ``line`` where display column ``column`` starts (len when it is shorter)."""
    width = 0
    for index, ch in enumerate(line):
        if width >= column:
            return index
        width += 2 if _WIDE.match(ch) else 1
    return len(line)


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
