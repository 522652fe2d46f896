"""Text of a saved news page (a text-browser dump) -> :class:`ArticleIn`. Pure, no I/O.

How a page is read (what each step looks at is a page's structure, not its site):

1. **Layout.** Box-drawn tables are unfolded and fixed-width wrapping undone
   (:mod:`.layout`); lines are classified (:mod:`.lines`).
2. **Body.** Runs of prose lines, allowing sub-headings, list items, images and
   captions in between, are scored by their long paragraphs (headline lists score
   little); a run right under a dateline counts double. A run ends at a label that
   closes a story (来源:, 责任编辑, 相关新闻, rights notices, credit lines), at a long
   stretch of non-prose lines, at a timestamp once the text has begun (the next post
   or item), or where the article is printed again. Headings above the first paragraph,
   a lead box the text repeats, bracketed notes and dangling interface lines under the
   last are not body.
3. **Header.** The dateline is the nearest dated line above the body (a "last updated"
   line only when there is no other); the headline is the nearest headline-shaped
   line above it, the middle one of a 引题/主题/副题 stack, joined with a wrapped or
   ——subtitle line. Labelled fields between headline and body are read there.
4. **Footer.** Labelled lines after the body give source, editor, author and tags;
   the breadcrumb is read above the headline.

Every field's extractor lives in :mod:`.dates`, :mod:`.people` or :mod:`.fields`.
Years missing from a date (``10-08 12:00``) are taken from the nearest full date
elsewhere on the page; without one, ``published`` is None and marked uncertain.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsbot import nlp
from newsbot.errors import NoArticleError
from newsbot.models import ArticleIn, Precision
from newsbot.parsing import layout
from newsbot.parsing.body import Run, best_run, lead_box, paragraph_lines, without_headings
from newsbot.parsing.dates import find_date
from newsbot.parsing.fields import (
    Extractor,
    breadcrumb_in,
    clean_breadcrumb,
    glued_keyword_line,
    is_title_like,
    keyword_label_value,
    source_around_date,
    source_in,
    split_keywords,
    strip_title_marks,
    summary_in,
    tag_strip,
    url_in,
)
from newsbot.parsing.lines import (
    Line,
    dated_label_end,
    is_bracketed_note,
    is_dateline,
    is_prose,
    is_stop,
    is_update_line,
    make_lines,
    strip_trailing_widgets,
)
from newsbot.parsing.people import (
    author_before_date,
    author_in,
    credit_in,
    credit_line,
    editors_in,
    english_byline_outlet,
    is_byline,
    is_credit_line,
    looks_like_name_line,
    trailing_credit,
)
from newsbot.parsing.text import ends_sentence, fold, has_traditional

__all__ = ["Reading", "parse_page", "read_page"]

_MIN_BODY_CHARS = 20
_CLOSE_RUN = 0.7  # a runner-up run this close (relative score) makes the body uncertain
_FALLBACK_REACH = 30  # text lines above the body searched for a headline of last resort
_MAX_TITLE = 60
_END_MARK = re.compile(r"(?<=[。！？!?”」』])\s*[(（【\[]\s*完\s*[)）】\]]\s*$")
_ABOVE_TITLE = 12  # lines above the headline searched for a labelled keyword cell
_STACK_HEADLINE = 8  # characters of the middle line of a 引题/主题/副题 stack
_DECK = 12  # a headline-shaped line longer than this with a comma is a deck
_DANGLING = 50  # characters: a last line shorter than this without a sentence end is dropped
_TAG_REACH = 12  # footer lines searched for unlabelled tags
_MAX_TAG = 12
_FOOTER_SHOWN = 12  # footer lines whose role --explain names
_HEADER_REACH = 40  # text lines above the body searched for the dateline
_TITLE_REACH = 10  # non-blank lines above the dateline searched for the title
_FOOTER_REACH = 30  # non-blank lines after the body searched for labels
_KNOWN_TITLE_REACH = 60  # text lines above the body searched for a known headline


@dataclass(frozen=True, slots=True)
class Reading:
    """How one page was read: the article, and what each line was taken for.

    ``roles`` maps a line number (0-based, in the dump) to what the parser took
    that line for; ``doubts`` maps an uncertain field to the reason. This is what
    ``newsbot parse --explain`` prints.
    """

    article: ArticleIn
    lines: tuple[Line, ...]
    roles: dict[int, str]
    doubts: dict[str, str]


def parse_page(text: str) -> ArticleIn:
    """Recover the article of one page; raise :class:`NoArticleError` when there is none."""
    return read_page(text, roles=False).article


def read_page(
    text: str,
    *,
    roles: bool = True,
    known_titles: Sequence[str] = (),
    known_dates: Sequence[datetime] = (),
) -> Reading:
    """Read one page: the article, each line's role (unless ``roles`` is False: ingest
    does not need them), and the fields in doubt.

    ``known_titles`` are headlines the page's markup or its feed names (an HTML
    page's ``<h1>``, ``og:title``...): when the headline the text rules pick is none of
    them and lines above the article spell one, those lines are the headline.
    ``known_dates`` (the markup's or the feed's) give a date printed without its year
    the year of the one on the same month and day."""
    lines = make_lines(layout.repair(text.replace("\r\n", "\n").replace("\r", "\n")))
    found = best_run(lines)
    if found is None:
        raise NoArticleError("no body paragraphs found")
    run, date_index, runner_up = found
    if date_index is None:
        date_index = _dateline(lines, run.start)
    doubts: dict[str, str] = {}
    title_lines = _title(lines, date_index if date_index is not None else run.start)
    if date_index is None:
        doubts["title"] = "no dateline under the headline"
    if not title_lines:
        title_lines = _fallback_title(lines, run.start)
        doubts["title"] = "no headline above the article: the nearest short line"
    if known_titles:
        confirmed = _known_title(lines, run.start, title_lines, known_titles)
        if confirmed is not None:
            title_lines = confirmed
            doubts.pop("title", None)
    title_end = title_lines[-1].pos if title_lines else run.start - 1
    title = _join_title(title_lines) if title_lines else ""
    header = [ln for ln in lines[title_end + 1 : run.start] if not ln.blank]
    footer = _footer(lines, run.end)

    lead = lead_box(lines, run, title_end, "".join(title.split()))
    if lead is not None and lead.pos == without_headings(run.lines)[0].pos:
        run = Run(tuple(ln for ln in run.lines if ln.pos != lead.pos), run.score)
    body_lines = paragraph_lines(run, fold(title))  # lines are compared by their folded key
    body = [strip_trailing_widgets(ln.text) for ln in body_lines]
    author: str | None = None
    if body:
        last, credit = trailing_credit(body[-1])
        if credit:
            body[-1] = last
            author = credit
    body = [p for p in body if p]
    while len(body) > 1 and _dangling(body[-1]) and ends_sentence(body[-2]):
        body.pop()  # a widget's line under an article that has ended: no sentence end
    if body:
        body[-1] = _END_MARK.sub("", body[-1])  # "……条件。(完)": the wire's end mark
    while len(body) > 1 and is_bracketed_note(body[-1]):
        note = body.pop()  # （本文仅为科普，不能替代诊断）, （完）: a note under the text
        author = author or credit_in(note)  # …or the byline: （袁源）
    if sum(len(p) for p in body) < _MIN_BODY_CHARS:
        raise NoArticleError("no body paragraphs found")
    if not title:
        title = _title_from_body(body[0])
        doubts["title"] = "no headline on the page: the first sentence"
    if runner_up * _CLOSE_RUN > run.score:
        doubts["body"] = "another block of text on the page is almost as long"

    published, precision, date_doubt = _published(lines, date_index, run.end, known_dates)
    if date_doubt:
        doubts["published"] = date_doubt
    vocabulary = title + "\n" + "\n".join(body)
    title_start = title_lines[0].pos if title_lines else run.start
    # a metadata table above the headline (索引号 … 关键词：…) on government pages
    above_title = [ln for ln in lines[max(0, title_start - _ABOVE_TITLE) : title_start]]
    keywords = _keywords(header, footer, above_title, vocabulary)
    crumb_index, breadcrumb = _breadcrumb(lines, title_lines[0].pos if title_lines else run.start)
    opening = body_lines[0].pos if body_lines else run.end
    above_text = [ln for ln in lines[title_end + 1 : opening] if not ln.blank]
    summary = next((s for s in map(summary_in, above_text) if s), None)
    if summary is None and lead is not None:
        summary = lead.text
    author = _author(header, footer, run, title_lines, date_index, lines) or author
    editor = _editor([*footer, *header])
    source = _first(source_in, [*header, *footer])
    if source is None:
        source = _unlabelled_source(lines, date_index, title) or _first(
            english_byline_outlet, header
        )
        if source is not None:
            doubts["source"] = "printed without a label next to the date"
    if summary is not None and lead is not None and summary == lead.text:
        doubts["summary"] = "an unlabelled lead box"
    if author and source and " " in author and source.startswith(author.split(" ")[0]):
        author = author.split(" ", 1)[1]  # "文｜财新 周某 沈某": the outlet before the names
    url = _url(lines, header, footer)
    if has_traditional(text):  # values were read off the folded keys: give 繁體 back
        source, author, editor, summary = (
            _as_printed(v, lines) for v in (source, author, editor, summary)
        )
        breadcrumb = tuple(_as_printed(v, lines) or v for v in breadcrumb)
        keywords = [_as_printed(v, lines) or v for v in keywords]
    tags = nlp.build_tags(breadcrumb, keywords, title, body)
    article = ArticleIn(
        title=title,
        body=tuple(body),
        summary=summary if summary else nlp.generate_summary(body),
        summary_generated=not summary,
        source=source,
        published=published,
        published_precision=precision,
        author=author,
        editor=editor,
        breadcrumb=breadcrumb,
        keywords=tuple(keywords),
        tags=tags,
        url=url,
        uncertain=tuple(sorted(doubts)),
    )
    line_roles = (
        _roles(lines, run, body_lines, title_lines, date_index, lead, crumb_index, footer)
        if roles
        else {}
    )
    return Reading(article, tuple(lines), line_roles, doubts)


def _as_printed(value: str | None, lines: Sequence[Line]) -> str | None:
    """``value`` as the page printed it: traditional characters that label matching
    folded to simplified ones are taken back from the line it came from."""
    if not value:
        return value
    for line in lines:
        at = line.key.find(value)
        if at >= 0 and len(line.key) == len(line.text):
            printed = line.text[at : at + len(value)]
            return "".join(p if fold(p) == v else v for p, v in zip(printed, value, strict=True))
    return value


def _roles(
    lines: Sequence[Line],
    run: Run,
    body_lines: Sequence[Line],
    title_lines: Sequence[Line],
    date_index: int | None,
    lead: Line | None,
    crumb_index: int | None,
    footer: Sequence[Line],
) -> dict[int, str]:
    """What each line was taken for, for ``--explain``."""
    roles: dict[int, str] = {}
    for line in lines:
        if line.blank:
            continue
        if line.chrome:
            roles[line.pos] = "chrome"
        elif line.caption:
            roles[line.pos] = "caption"
    for line in run.lines:
        roles[line.pos] = "heading" if not line.prose else "skipped"
    for line in body_lines:
        roles[line.pos] = "body"
    for line in lines[title_lines[-1].pos + 1 if title_lines else 0 : run.start]:
        if _is_meta(line):
            roles[line.pos] = "meta"
    for line in footer[:_FOOTER_SHOWN]:
        if _is_meta(line):
            roles[line.pos] = "meta"
        elif line.skip:
            roles[line.pos] = "skipped"
        elif line.stop and line.pos not in roles:
            roles[line.pos] = "end of body"
    if crumb_index is not None:
        roles[crumb_index] = "breadcrumb"
    for line in title_lines:
        roles[line.pos] = "title"
    if date_index is not None:
        roles[date_index] = "dateline"
    if lead is not None:
        roles[lead.pos] = "summary (lead)"
    for line in lines[: body_lines[0].pos if body_lines else run.start]:
        if summary_in(line):
            roles[line.pos] = "summary"
    return roles


def _is_meta(line: Line) -> bool:
    return bool(
        source_in(line)
        or editors_in(line)
        or (not line.prose and author_in(line))
        or keyword_label_value(line)
    )


def _dangling(paragraph: str) -> bool:
    """A short last line that does not end a sentence (interface text, a link)."""
    return len(paragraph) < _DANGLING and not ends_sentence(paragraph)


def _known_title(
    lines: Sequence[Line], body_start: int, chosen: Sequence[Line], known: Sequence[str]
) -> list[Line] | None:
    """The headline lines that spell one of the ``known`` titles: the ones chosen when
    they do, else the nearest one to three consecutive lines above the body that do."""
    wanted = {"".join(fold(t).split()) for t in known} - {""}
    as_read = "".join("".join(strip_title_marks(ln.key).split()) for ln in chosen)
    if chosen and ("".join(ln.compact for ln in chosen) in wanted or as_read in wanted):
        return list(chosen)
    text_lines = [ln for ln in lines[:body_start] if not ln.blank and not ln.chrome]
    for end in range(len(text_lines), max(0, len(text_lines) - _KNOWN_TITLE_REACH), -1):
        for size in (1, 2, 3):
            window = text_lines[max(0, end - size) : end]
            if len(window) == size and "".join(ln.compact for ln in window) in wanted:
                return window
    return None


def _fallback_title(lines: Sequence[Line], body_start: int) -> list[Line]:
    """A page without a recognisable headline: the nearest title-like line above its text."""
    seen = 0
    for line in reversed(lines[:body_start]):
        if line.blank or line.chrome:
            continue
        seen += 1
        if seen > _FALLBACK_REACH:
            break
        if is_title_like(line) and not line.bullet:
            return [line]
    return []


def _title_from_body(first: str) -> str:
    """The first sentence of the article, cut to a headline's length."""
    sentence = nlp.split_sentences(first)[0] if first else first
    return sentence if len(sentence) <= _MAX_TITLE else sentence[: _MAX_TITLE - 1] + "…"


# --------------------------------------------------------------------------
# Body.
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Header: dateline and title.
# --------------------------------------------------------------------------


def _dateline(lines: Sequence[Line], body_start: int) -> int | None:
    """The nearest dated line above the body; a "last updated" line only when no other."""
    seen = 0
    updated: int | None = None
    for line in reversed(lines[:body_start]):
        if line.blank:
            continue
        if is_dateline(line):
            if not is_update_line(line):
                return line.pos
            updated = line.pos if updated is None else updated
        seen += 1
        if seen >= _HEADER_REACH:
            break
    return updated


def _title(lines: Sequence[Line], anchor: int) -> list[Line]:
    """The headline lines above ``anchor`` (the dateline, else the body start)."""
    candidates: list[Line] = []
    seen = 0
    for line in reversed(lines[:anchor]):
        if line.blank or line.chrome:
            continue
        seen += 1
        if seen > _TITLE_REACH or breadcrumb_in(line) is not None:
            break
        if is_title_like(line):
            candidates.append(line)
    if not candidates:
        return []
    chosen = next((c for c in candidates if len(c.key) >= 8), candidates[0])
    above_chosen = lines[chosen.pos - 1] if chosen.pos > 0 else None
    if (
        _is_deck(chosen)
        and above_chosen is not None
        and is_title_like(above_chosen)
        and not _is_deck(above_chosen)
    ):
        chosen = above_chosen  # a headline with its deck (a sentence) set right under it
    stack = _headline_stack(lines, candidates, chosen)
    if stack is not None:
        return [stack]
    result = [chosen]
    above = lines[chosen.pos - 1] if chosen.pos > 0 else None
    if above is not None and _continues_title(above, chosen):
        result.insert(0, above)
    below = lines[chosen.pos + 1] if chosen.pos + 1 < len(lines) else None
    if below is not None and below.key.startswith(("——", "—", "--")) and is_title_like(below):
        result.append(below)
    return result


def _headline_stack(lines: Sequence[Line], candidates: Sequence[Line], chosen: Line) -> Line | None:
    """The main headline of a 引题 / 主题 / 副题 stack: three headline lines set one
    above the other (blank lines between at most) over the dateline; the middle one."""
    trio = candidates[:3]
    if len(trio) < 3 or chosen is not trio[0] or chosen.key.startswith(("——", "—", "--")):
        return None
    if len(trio[1].key) < _STACK_HEADLINE:
        return None  # the main headline is the stack's substantial line
    for lower, upper in itertools.pairwise(trio):
        between = lines[upper.pos + 1 : lower.pos]
        if len(between) > 2 or any(not ln.blank for ln in between) or upper.bullet:
            return None
    top = trio[2].pos
    above = next((ln for ln in reversed(lines[max(0, top - 3) : top]) if not ln.blank), None)
    if above is not None and is_title_like(above):
        return None  # a list of short lines (a side menu) goes on above: not a stack
    return trio[1]


def _is_deck(line: Line) -> bool:
    """A sentence set under a headline (a deck): a clause, a comma, another clause."""
    return len(line.key) > _DECK and bool(re.search(r"[，,；;]", line.key))


def _continues_title(upper: Line, lower: Line) -> bool:
    """Is ``upper`` the first line of a headline that wraps onto ``lower``?"""
    if not is_title_like(upper) or upper.bullet or upper.compact == lower.compact:
        return False
    if _is_deck(lower):
        return False  # a deck under the headline, not its second line
    tokens = upper.key.split()
    if len(tokens) >= 3 and max(map(len, tokens)) <= 6:
        return False  # a strip of words or links ("热门关键词 食品安全 暴雨 …"), not a headline
    if lower.key.startswith(("——", "—", "--")):
        return True
    return len(upper.key) >= 6 and len(lower.key) >= 6 and len(upper.key) + len(lower.key) <= 80


def _join_title(lines: Sequence[Line]) -> str:
    text = strip_title_marks(lines[0].text)
    for line in lines[1:]:
        part = strip_title_marks(line.text)
        glue = " " if text[-1:].isascii() and part[:1].isascii() else ""
        text += glue + part
    return text


# --------------------------------------------------------------------------
# Metadata.
# --------------------------------------------------------------------------


def _footer(lines: Sequence[Line], body_end: int) -> list[Line]:
    footer: list[Line] = []
    for line in lines[body_end + 1 :]:
        if line.blank:
            continue
        footer.append(line)
        if len(footer) >= _FOOTER_REACH:
            break
    return footer


def _editor(lines: Sequence[Line]) -> str | None:
    """The most responsible editor credited around the article (责任编辑 before 编辑)."""
    found = [
        (rank, order, names) for order, line in enumerate(lines) for rank, names in editors_in(line)
    ]
    return min(found)[2] if found else None


def _first(extract: Extractor, lines: Sequence[Line]) -> str | None:
    for line in lines:
        value = extract(line)
        if value:
            return value
    return None


def _published(
    lines: Sequence[Line], date_index: int | None, body_end: int, known: Sequence[datetime] = ()
) -> tuple[datetime | None, Precision, str | None]:
    """The publication time, its precision, and why it is in doubt (None: it is not)."""
    parsed = find_date(lines[date_index].key) if date_index is not None else None
    doubt: str | None = None
    if parsed is None:  # some pages print the date only under the article
        for line in lines[body_end + 1 : body_end + 12]:
            label = dated_label_end(line)
            if label is not None:
                parsed = find_date(line.key[label:])
                if parsed:
                    date_index = line.pos
                    doubt = "the date is printed under the article"
                    break
    if parsed is None or date_index is None:
        return None, "second", "no date on the page"
    year = parsed.year
    local = [d.astimezone(parsed.tz) for d in known]
    same_day = [d.year for d in local if (d.month, d.day) == (parsed.month, parsed.day)]
    if year is None and same_day:
        year = same_day[0]  # the markup or the feed dates the same day: its year
    elif year is None:
        year = _nearest_year(lines, date_index)
        doubt = "the year is not printed" if year is None else "the year is taken from elsewhere"
    published = parsed.resolve(year)
    return published, parsed.precision, doubt


def _nearest_year(lines: Sequence[Line], index: int) -> int | None:
    """The year of the full date printed closest to line ``index``, if any."""
    best: tuple[int, int] | None = None
    for line in lines:
        if line.blank or line.pos == index:
            continue
        parsed = find_date(line.key, allow_yearless=False)
        if parsed is not None and parsed.year is not None:
            distance = abs(line.pos - index)
            if best is None or distance < best[0]:
                best = (distance, parsed.year)
    return best[1] if best else None


def _keywords(
    header: Sequence[Line], footer: Sequence[Line], above_title: Sequence[Line], vocabulary: str
) -> list[str]:
    above = [ln for ln in above_title if not ln.blank]
    for zone in (footer, header, above):
        for pos, line in enumerate(zone):
            value = keyword_label_value(line)
            if value is None:
                continue
            if not value and pos + 1 < len(zone):  # "标签" on its own, the list below it
                nxt = zone[pos + 1]
                if len(nxt.key) <= 60 and ":" not in nxt.key and not is_stop(nxt):
                    value = nxt.key
            if value:
                return split_keywords(value, vocabulary)
            break
    for line in header:  # an unlabelled strip of glued tag links under the dateline
        found = glued_keyword_line(line, vocabulary)
        if found:
            return found
    return _footer_tags(footer[:_TAG_REACH], vocabulary)


def _footer_tags(footer: Sequence[Line], vocabulary: str) -> list[str]:
    """Unlabelled tag links under the article: a strip (``子弹  相对论``,
    ``20190926|国贸|增长率``) or a short bullet list of words, most of which the
    article itself uses."""
    bullets: list[Line] = []
    for line in footer:
        if line.bullet and len(line.key) <= _MAX_TAG:
            bullets.append(line)
            continue
        if len(bullets) >= 2:
            break
        bullets = []
        if line.stop or line.skip or is_credit_line(line) or is_byline(line.key):
            continue  # a credit or label line ("题图来自 Hater"), not a strip of tags
        found = tag_strip(line.key, vocabulary)
        if found:
            return found
    if len(bullets) >= 2:
        return tag_strip(" ".join(ln.key for ln in bullets), vocabulary) or []
    return []


def _breadcrumb(lines: Sequence[Line], title_index: int) -> tuple[int | None, tuple[str, ...]]:
    """The trail above the headline and the line it is on (None: no trail)."""
    bullets: list[str] = []
    for line in reversed(lines[max(0, title_index - 30) : title_index]):
        if line.blank:
            continue
        items = breadcrumb_in(line)
        if items:
            return line.pos, clean_breadcrumb(items)
        if line.bullet and line.key:
            bullets.insert(0, line.key)
            continue
        if bullets and bullets[-1] == "正文" and len(bullets) <= 8:  # a list ending in 正文
            return line.pos + 1, clean_breadcrumb(bullets)
        bullets = []
    if bullets and bullets[-1] == "正文" and len(bullets) <= 8:
        return None, clean_breadcrumb(bullets)
    return None, ()


def _author(
    header: Sequence[Line],
    footer: Sequence[Line],
    run: Run,
    title_lines: Sequence[Line],
    date_index: int | None,
    lines: Sequence[Line],
) -> str | None:
    for line in header:
        name = author_in(line)
        if name:
            return name
    first = run.lines[0]
    name = author_in(first)  # a dateline inside the first paragraph: （记者唐霁）
    if name:
        return name
    for line in (*run.lines[-2:], *footer[:8]):
        if is_prose(line) and line is not run.lines[-1]:
            continue
        name = author_in(line) or credit_line(line)
        if name:
            return name
    if date_index is not None:
        name = author_before_date(lines[date_index])
        if name:
            return name
    return _unlabelled_author(lines, title_lines, date_index)


def _unlabelled_author(
    lines: Sequence[Line], title_lines: Sequence[Line], date_index: int | None
) -> str | None:
    """A lone short name between the headline and the dateline (blog-style platforms)."""
    if date_index is None or not title_lines:
        return None
    between = [
        ln for ln in lines[title_lines[-1].pos + 1 : date_index] if not ln.blank and not ln.chrome
    ]
    if len(between) == 1 and looks_like_name_line(between[0]):
        return between[0].key
    return None


def _unlabelled_source(lines: Sequence[Line], date_index: int | None, title: str) -> str | None:
    if date_index is None:
        return None
    return source_around_date(lines[date_index], title, "\n".join(ln.key for ln in lines))


def _url(lines: Sequence[Line], header: Sequence[Line], footer: Sequence[Line]) -> str | None:
    for line in lines:
        found = url_in(line, bare=False)
        if found:
            return found
    for line in (*header, *footer):
        found = url_in(line, bare=True)
        if found:
            return found
    return None
