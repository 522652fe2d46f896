"""Field accuracy on the hand-checked development pages in ../shared/dev-pages.

The pages are third-party text and are not part of the project: this test reads
them from the sibling folder when it exists and skips otherwise. It asserts an
overall accuracy floor (the figure reached so far, never lowered) rather than every
field of every page, so one odd portal cannot block a change that helps the others;
the per-field table is printed (``pytest -s``) and by ``bench/devpages_accuracy.py``.

The parser is hand-written rules with no parameter fitted to these pages, so its
leave-one-site-out accuracy is its plain accuracy: no page can influence how another
page is read. (A learned component would be trained once per held-out site in
:func:`evaluate`.)

How fields are compared with ``truth.jsonl`` (both sides with whitespace removed and
full-width ASCII folded, as the truth README says):

* breadcrumb: the truth without 首页/正文 (null means an empty path);
* published: in +08:00, at the truth's precision (``YYYY-MM-DD[ HH:MM[:SS]]``);
* body: the first sentence of the first paragraph and the last sentence of the last
  paragraph must equal the truth's first/last sentence;
* summary: null in the truth means the summary must be generated;
* keywords: null in the truth means none;
* other fields: equal, null meaning None.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsbot.errors import NoArticleError
from newsbot.models import ArticleIn
from newsbot.nlp import split_sentences
from newsbot.parsing import parse_page
from newsbot.textio import decode_seed

DEV_PAGES = Path(__file__).resolve().parents[2] / "shared" / "dev-pages"
FIELDS = (
    "title",
    "published",
    "source",
    "summary",
    "editor",
    "author",
    "breadcrumb",
    "keywords",
    "body_first",
    "body_last",
)
# The floor: the overall leave-one-site-out share reached so far (issue 7 asks >= 95 %
# on every field); raised as the parser improves, never lowered.
THRESHOLD = 0.99
# Issue 7's bar: every field with at least 10 non-null truths at 95 % or better.
FIELD_FLOOR = 0.95
BAR_FIELDS = (
    "title",
    "published",
    "source",
    "editor",
    "author",
    "breadcrumb",
    "body_first",
    "body_last",
)
CST = timezone(timedelta(hours=8))


def squash(text: str | None) -> str:
    """Whitespace removed, full-width ASCII folded: how the truth says to compare."""
    if text is None:
        return ""
    folded = "".join(
        unicodedata.normalize("NFKC", ch) if 0xFF01 <= ord(ch) <= 0xFF5E else ch for ch in text
    )
    return "".join(folded.split())


def _published(article: ArticleIn, truth: str | None) -> bool:
    if truth is None or article.published is None:
        return truth is None and article.published is None
    local = article.published.astimezone(CST)
    shown = {10: "%Y-%m-%d", 16: "%Y-%m-%d %H:%M", 19: "%Y-%m-%d %H:%M:%S"}[len(truth)]
    return local.strftime(shown) == truth and _precision_matches(article, len(truth))


def _precision_matches(article: ArticleIn, width: int) -> bool:
    return {10: "day", 16: "minute", 19: "second"}[width] == article.published_precision


def first_sentence(article: ArticleIn) -> str:
    return split_sentences(article.body[0])[0] if article.body else ""


def last_sentence(article: ArticleIn) -> str:
    return split_sentences(article.body[-1])[-1] if article.body else ""


def _same(got: str | None, want: str | None) -> bool:
    return (got is None) == (want is None) and squash(got) == squash(want)


CHECKS: dict[str, Callable[[ArticleIn, dict[str, Any]], bool]] = {
    "title": lambda a, t: _same(a.title, t["title"]),
    "published": lambda a, t: _published(a, t["published"]),
    "source": lambda a, t: _same(a.source, t["source"]),
    "summary": lambda a, t: (
        a.summary_generated
        if t["summary"] is None
        else not a.summary_generated and squash(a.summary) == squash(t["summary"])
    ),
    "editor": lambda a, t: _same(a.editor, t["editor"]),
    "author": lambda a, t: _same(a.author, t["author"]),
    "breadcrumb": lambda a, t: (
        [squash(c) for c in a.breadcrumb if c not in ("首页", "正文")]
        == [squash(c) for c in t["breadcrumb"] or [] if c not in ("首页", "正文")]
    ),
    "keywords": lambda a, t: (
        [squash(k) for k in a.keywords] == [squash(k) for k in t["keywords"] or []]
    ),
    "body_first": lambda a, t: squash(first_sentence(a)) == squash(t["body_first_sentence"]),
    "body_last": lambda a, t: squash(last_sentence(a)) == squash(t["body_last_sentence"]),
}

TRUTH_KEY = {"body_first": "body_first_sentence", "body_last": "body_last_sentence"}


def shown_value(article: ArticleIn | None, field: str) -> object:
    """What the parser produced for ``field``, in the truth's terms."""
    if article is None:
        return "<no article>"
    if field == "body_first":
        return first_sentence(article)
    if field == "body_last":
        return last_sentence(article)
    if field == "published":
        return article.published.astimezone(CST).isoformat(" ") if article.published else None
    if field == "summary":
        return ("generated: " if article.summary_generated else "") + article.summary[:60]
    value = getattr(article, field)
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class PageResult:
    file: str
    site: str
    correct: dict[str, bool]
    truth: dict[str, Any]
    got: dict[str, object]


def site_of(file: str) -> str:
    """The site a dev page comes from: ``117_gmw_politics_2024.txt`` -> ``gmw``."""
    return file.split("_")[1].split(".")[0]


def load_truth(folder: Path = DEV_PAGES) -> list[dict[str, Any]]:
    text = (folder / "truth.jsonl").read_text(encoding="utf-8")
    return [json.loads(raw) for raw in text.splitlines() if raw.strip()]


def evaluate(folder: Path = DEV_PAGES) -> list[PageResult]:
    """Parse every page listed in ``truth.jsonl`` and check each field.

    Leave-one-site-out: each page is parsed by a parser that no page of its own site
    shaped. The rules have no fitted parameters, so one parser serves every fold.
    """
    results: list[PageResult] = []
    for truth in load_truth(folder):
        article: ArticleIn | None
        try:
            article = parse_page(decode_seed((folder / truth["file"]).read_bytes()))
        except NoArticleError:
            article = None
        correct = {f: article is not None and CHECKS[f](article, truth) for f in FIELDS}
        got = {f: shown_value(article, f) for f in FIELDS if not correct[f]}
        results.append(PageResult(truth["file"], site_of(truth["file"]), correct, truth, got))
    return results


def overall(results: list[PageResult]) -> float:
    total = sum(sum(r.correct.values()) for r in results)
    return total / (len(results) * len(FIELDS))


def accuracy_report(folder: Path = DEV_PAGES, results: list[PageResult] | None = None) -> str:
    """A per-field accuracy table on the dev pages, with the missed pages listed."""
    results = evaluate(folder) if results is None else results
    sites = len({r.site for r in results})
    lines = [
        f"leave-one-site-out over {len(results)} pages from {sites} site groups",
        f"{'field':<12} {'correct':>8} {'accuracy':>9} {'non-null':>9}  misses",
    ]
    for field in FIELDS:
        good = sum(r.correct[field] for r in results)
        nonnull = sum(r.truth.get(TRUTH_KEY.get(field, field)) not in (None, []) for r in results)
        misses = ", ".join(r.file.split("_")[0] for r in results if not r.correct[field])
        lines.append(
            f"{field:<12} {good:>4}/{len(results):<3} {good / len(results):>9.1%} "
            f"{nonnull:>9}  {misses}"
        )
    total = sum(sum(r.correct.values()) for r in results)
    count = len(results) * len(FIELDS)
    lines.append(f"{'overall':<12} {total:>4}/{count:<3} {total / count:>9.1%}")
    return "\n".join(lines)


needs_pages = pytest.mark.skipif(
    not (DEV_PAGES / "truth.jsonl").exists(), reason=f"dev pages not found at {DEV_PAGES}"
)


@needs_pages
def test_overall_accuracy_on_dev_pages() -> None:
    results = evaluate()
    print("\n" + accuracy_report(results=results))
    assert overall(results) >= THRESHOLD


@needs_pages
def test_every_bar_field_on_dev_pages() -> None:
    results = evaluate()
    for field in BAR_FIELDS:
        share = sum(r.correct[field] for r in results) / len(results)
        assert share >= FIELD_FLOOR, (field, share)


@needs_pages
def test_every_dev_page_parses() -> None:
    for page in sorted(DEV_PAGES.glob("*.txt")):
        article = parse_page(decode_seed(page.read_bytes()))
        assert article.title and article.body, page.name
        assert 0 < len(article.tags) <= 8, page.name
