"""Where the article's text is on a page: runs of prose, scored and joined. Pure.

A run is a stretch of prose lines, allowing sub-headings, list items, pictures and
captions between them. Runs are scored by their long paragraphs; a run right under a
dateline counts double, a run under a comments heading hardly at all. The best run is
joined across short boxes set inside it (a video player, a 相关阅读 box), and its
opening is read for headings and a lead box.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from newsbot.parsing.fields import is_title_like
from newsbot.parsing.lines import (
    Line,
    is_caption,
    is_comments_heading,
    is_dateline,
    is_prose,
    is_stop,
    is_teaser,
    skip_label,
    strip_trailing_widgets,
)
from newsbot.parsing.people import is_byline, is_credit_line
from newsbot.parsing.text import ends_sentence, has_cjk

__all__ = ["Run", "best_run", "is_paragraph", "lead_box", "paragraph_lines", "without_headings"]

_MAX_GAP = 3  # non-prose text lines tolerated inside a body run
# A non-prose line this long inside a run may be an item of a list article (menu
# words are 2-4 characters) and counts as _ITEM_GAP of a gap.
_ITEM_CHARS = 5
_ITEM_GAP = 0.25
_QUOTES = frozenset('“‘「『《"')
_ELLIPSIS = frozenset("…。.")
_NUMBERED_ITEM = re.compile(r"^(?:\d{1,3}|[一二三四五六七八九十]{1,3})[、.．]\s*\S")
_PARAGRAPH = 40  # characters of a line that is surely a paragraph, not a headline
_SPLIT_REACH = 12  # lines at the top of a run searched for a swallowed dateline
_TITLE_ECHO = 10  # characters besides the headline on a line that only repeats it
_TABLE_COLUMNS = 3  # cells on a line set apart by space runs: a table row
_MIN_LEAD = 10  # characters a lead box must share with the paragraph it announces
_SHORT_LINE = 24  # a prose line this short may be a headline in a list
_BOX_LINES = 6  # text lines of a box (player, related links) set inside the article
# Box headings that may stand inside an article; any other closing label ends it.
_IN_TEXT_BOX = re.compile(r"^[(\[【]?\s*(?:相关阅读|延伸阅读|相关链接)")
_COMMENTS_FACTOR = 0.2  # a run below the comments heading is very seldom the article
_HEADER_BONUS = 2  # a run right under a dateline is the article far more often than not
_DATED_REACH = 8  # text lines above a run searched for its dateline


@dataclass(frozen=True, slots=True)
class Run:
    lines: tuple[Line, ...]
    score: int

    @property
    def start(self) -> int:
        return self.lines[0].pos

    @property
    def end(self) -> int:
        return self.lines[-1].pos


def best_run(lines: Sequence[Line]) -> tuple[Run, int | None, int] | None:
    """The run of prose most likely to be the article, the dateline it swallowed, and
    the score of the next best run (how sure the choice is)."""
    best: tuple[Run, int | None] | None = None
    runner_up = 0
    runs: list[Run] = []
    comments = next((ln.pos for ln in lines if is_comments_heading(ln)), len(lines))
    i = 0
    while i < len(lines):
        line = lines[i]
        if not _starts_run(line):
            i += 1
            continue
        grown = _grow_run(lines, i)
        run, date_index = _split_header(grown)
        if date_index is not None or _dated_above(lines, run.start):
            # the article's own header: its dateline just above
            run = Run(run.lines, run.score * _HEADER_BONUS)
        if run.start > comments:  # readers' comments, however long, come after the article
            run = Run(run.lines, int(run.score * _COMMENTS_FACTOR))
        runs.append(run)
        if best is None or run.score > best[0].score:
            if best is not None:
                runner_up = best[0].score
            best = (run, date_index)
        else:
            runner_up = max(runner_up, run.score)
        i = grown.end + 1
    if best is None:
        return None
    return _across_boxes(lines, runs, best[0]), best[1], runner_up


def _across_boxes(lines: Sequence[Line], runs: Sequence[Run], run: Run) -> Run:
    """Join the article's text across a box set inside it.

    A video player or a 相关阅读 box between paragraphs cuts the text into two runs.
    A neighbouring run joins when what lies between is short, holds no dateline and
    no label that closes a story (责任编辑, 来源, 上一篇, notices), and both sides hold
    full paragraphs.
    """
    at = runs.index(run)
    lines_kept = list(run.lines)
    for step in (1, -1):
        index = at + step
        while 0 <= index < len(runs):
            other = runs[index]
            if step > 0:
                low, high = lines_kept[-1].pos, other.start
            else:
                low, high = other.end, lines_kept[0].pos
            between = [ln for ln in lines[low + 1 : high] if not ln.blank]
            if not _is_box(between) or not any(is_paragraph(ln) for ln in other.lines):
                break
            lines_kept = [*lines_kept, *other.lines] if step > 0 else [*other.lines, *lines_kept]
            index += step
    if len(lines_kept) == len(run.lines):
        return run
    return Run(tuple(lines_kept), run.score)


def _is_box(between: Sequence[Line]) -> bool:
    """A short interruption of the text: no dateline, no label that closes a story."""
    # interface words of a player (播放, 暂停, 超清 …) hardly count; text lines do
    if not between or sum(len(ln.key) >= _ITEM_CHARS + 1 for ln in between) > _BOX_LINES:
        return False
    for line in between:
        if is_dateline(line) or is_credit_line(line) or is_comments_heading(line):
            return False
        if line.stop and not _IN_TEXT_BOX.match(line.key):
            return False
    return True


def _dated_above(lines: Sequence[Line], start: int) -> bool:
    """Is there a dateline among the few text lines above line ``start``?"""
    seen = 0
    for line in reversed(lines[:start]):
        if line.blank or line.chrome:
            continue
        if is_dateline(line):
            return True
        seen += 1
        if seen >= _DATED_REACH:
            return False
    return False


def _starts_run(line: Line) -> bool:
    return (
        is_prose(line)
        and not line.bullet
        and not is_caption(line)
        and not skip_label(line)
        and not is_stop(line)
    )


def _grow_run(lines: Sequence[Line], start: int) -> Run:
    kept: list[Line] = [lines[start]]
    first = lines[start].compact
    headline = is_title_like(lines[start])  # repeated as image alts, not a new copy
    seen = {first}
    pending: list[Line] = []
    started = is_paragraph(lines[start])
    gap = 0.0
    for line in lines[start + 1 :]:
        if line.blank or line.chrome or is_caption(line):
            continue
        if is_stop(line):
            break
        if skip_label(line):
            continue
        if is_prose(line) and not line.bullet:
            if line.compact == first and not headline and _starts_over(lines, line.pos, kept):
                break  # the article is printed again from its first paragraph: a copy
            if line.compact in seen:  # a caption or image alt printed again
                continue
            seen.add(line.compact)
            started = started or is_paragraph(line)
            kept.extend(pending)
            kept.append(line)
            pending.clear()
            gap = 0.0
            continue
        if started and is_dateline(line):
            break  # a timestamp after the text has begun: the next post, reply or item
        if started and (is_credit_line(line) or is_byline(line.key)):
            break  # the credits under the story: 新京报记者 X / 编辑 Y 校对 Z
        if _NUMBERED_ITEM.match(line.key) and has_cjk(line.key):
            gap = 0.0  # "12、上海朱家角古镇": the next item of a list article
            pending.append(line)
            continue
        gap += _gap_cost(line)
        if gap > _MAX_GAP:
            break
        pending.append(line)
    return Run(tuple(kept), _score(kept))


def _starts_over(lines: Sequence[Line], at: int, kept: Sequence[Line]) -> bool:
    """Does the text repeat from line ``at`` on, its second paragraph too? A lead box
    that returns as one paragraph of a section is not a second copy."""
    second = next((ln for ln in kept[1:] if ln.prose), None)
    if second is None:
        return True
    following = next((ln for ln in lines[at + 1 :] if ln.prose and not ln.bullet), None)
    return following is None or following.compact == second.compact


def _score(kept: Sequence[Line]) -> int:
    """How much running text a run holds: long paragraphs count, short lines barely.

    Lists of headlines (related news, sidebars) are many short prose-like lines; an
    article is fewer, longer paragraphs. Only the part of a line past
    ``_SHORT_LINE`` characters counts in full.
    """
    return sum(
        max(len(ln.key) - _SHORT_LINE, 0) + min(len(ln.key), _SHORT_LINE) // 4
        for ln in kept
        if is_prose(ln)
    )


def _gap_cost(line: Line) -> float:
    """How much a non-prose line inside a run counts towards ending it.

    Menus and widgets are short link words; the items of a list article (a name, a
    price line, a phone number: ``成人票原价：30元``) are longer text. The latter may
    run on between the article's sentences.
    """
    if line.bullet:
        return 1.0
    if line.key[0] in _QUOTES or set(line.key) <= _ELLIPSIS:
        return _ITEM_GAP  # quoted words and ellipses are writing, never interface
    if len(line.key) < _ITEM_CHARS or not has_cjk(line.key):
        return 1.0
    return _ITEM_GAP


def _split_header(run: Run) -> tuple[Run, int | None]:
    """Cut a headline and dateline that a run swallowed off its top.

    A headline with a comma or an exclamation mark reads like prose, so a run may
    start at it; when a dateline follows within the first lines, the body starts
    after that dateline.
    """
    for pos, line in enumerate(run.lines[:_SPLIT_REACH]):
        if is_paragraph(line):
            return run, None  # the article has begun: a date further down is inside it
        if is_dateline(line):
            rest = run.lines[pos + 1 :]
            first = next((i for i, ln in enumerate(rest) if _starts_run(ln)), None)
            if first is None:
                return run, None
            kept = rest[first:]
            return Run(kept, _score(kept)), line.pos
    return run, None


def is_paragraph(line: Line) -> bool:
    """A full paragraph of text: long, and ending a sentence (a headline does neither)."""
    return len(line.key) >= _PARAGRAPH and ends_sentence(line.key)


def lead_box(lines: Sequence[Line], run: Run, title_end: int, title: str) -> Line | None:
    """An unlabelled lead box: a paragraph under the header that the article repeats.

    Pages print a standfirst or excerpt above the text (often cut short with
    ``...``) whose words return later as (the start of) a paragraph of the article
    itself. The first paragraphs under the header are checked for that.
    """
    opening = without_headings(run.lines)
    first = opening[0].pos if opening else run.start
    candidates = [
        ln
        for ln in lines[title_end + 1 : first + 1]
        if not ln.blank and (ln.prose or is_teaser(ln.key)) and not ln.caption
    ][-2:]
    for candidate in candidates:
        core = candidate.compact.rstrip(".…")
        if len(core) < _MIN_LEAD or core == title:
            continue
        for later in lines[candidate.pos + 1 : run.end + 1]:
            if not later.blank and later.compact.startswith(core):
                return candidate
    return None


def without_headings(lines: Sequence[Line]) -> Sequence[Line]:
    """Drop the short lines a run starts with: kickers and sub-headlines above the text.

    An article opens with a paragraph; short lines (``出国前:政治科目会出啥考题?``)
    before the first full-length one are headings, not its first sentence.
    """
    for index, line in enumerate(lines):
        if len(line.key) >= _SHORT_LINE:
            return lines[index:]
    return lines


def paragraph_lines(run: Run, title: str) -> list[Line]:
    """The run's lines that are paragraphs of the article, in order."""
    compact_title = "".join(title.split())
    kept: list[Line] = []
    for line in without_headings(run.lines):
        if (
            len(compact_title) >= 8
            and compact_title in line.compact
            and len(line.compact) - len(compact_title) <= _TITLE_ECHO
        ):
            continue  # a repeated title or "原标题" caption, not a paragraph
        if line.columns >= _TABLE_COLUMNS and not line.prose:
            continue  # a row of a table of figures, not a paragraph
        if line.under_picture:
            continue  # a caption phrase in the picture's own block
        if strip_trailing_widgets(line.text):
            kept.append(line)
    return kept
