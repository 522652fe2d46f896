"""Field accuracy on the hand-checked development pages in ../shared/dev-pages.

The pages are third-party text and are not part of the project: this test reads
them from the sibling folder when it exists and skips otherwise. It asserts an
overall accuracy threshold rather than every field of every page, so one odd
portal cannot block a change that helps the others; the per-field table is
printed (``pytest -s``) and available as :func:`accuracy_report`.

How fields are compared with ``truth.jsonl``:

* breadcrumb: the truth without 首页/正文 (null means an empty path);
* published: in +08:00, at the truth's precision (``YYYY-MM-DD[ HH:MM[:SS]]``);
* body: the first sentence of the first paragraph and the last sentence of the last
  paragraph must equal the truth's first/last sentence (whitespace ignored);
* summary: null in the truth means the summary must be generated;
* keywords: null in the truth means none;
* other fields: equal, null meaning None.
"""

from __future__ import annotations

import json
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
# Overall share of correct fields; set just below what the parser achieves.
THRESHOLD = 0.975
CST = timezone(timedelta(hours=8))


def _squash(text: str) -> str:
    return "".join(text.split())


def _published(article: ArticleIn, truth: str | None) -> bool:
    if truth is None or article.published is None:
        return truth is None and article.published is None
    local = article.published.astimezone(CST)
    shown = {10: "%Y-%m-%d", 16: "%Y-%m-%d %H:%M", 19: "%Y-%m-%d %H:%M:%S"}[len(truth)]
    return local.strftime(shown) == truth


def _first_sentence(article: ArticleIn) -> str:
    return split_sentences(article.body[0])[0] if article.body else ""


def _last_sentence(article: ArticleIn) -> str:
    return split_sentences(article.body[-1])[-1] if article.body else ""


CHECKS: dict[str, Callable[[ArticleIn, dict[str, Any]], bool]] = {
    "title": lambda a, t: a.title == t["title"],
    "published": lambda a, t: _published(a, t["published"]),
    "source": lambda a, t: a.source == t["source"],
    "summary": lambda a, t: (
        a.summary_generated
        if t["summary"] is None
        else not a.summary_generated and _squash(a.summary) == _squash(t["summary"])
    ),
    "editor": lambda a, t: a.editor == t["editor"],
    "author": lambda a, t: a.author == t["author"],
    "breadcrumb": lambda a, t: (
        list(a.breadcrumb) == [c for c in t["breadcrumb"] or [] if c not in ("首页", "正文")]
    ),
    "keywords": lambda a, t: list(a.keywords) == (t["keywords"] or []),
    "body_first": lambda a, t: _squash(_first_sentence(a)) == _squash(t["body_first_sentence"]),
    "body_last": lambda a, t: _squash(_last_sentence(a)) == _squash(t["body_last_sentence"]),
}


@dataclass(frozen=True)
class PageResult:
    file: str
    correct: dict[str, bool]


def evaluate(folder: Path = DEV_PAGES) -> list[PageResult]:
    """Parse every page listed in ``truth.jsonl`` and check each field."""
    results: list[PageResult] = []
    for raw in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        truth = json.loads(raw)
        try:
            article = parse_page(decode_seed((folder / truth["file"]).read_bytes()))
        except NoArticleError:
            results.append(PageResult(truth["file"], dict.fromkeys(FIELDS, False)))
            continue
        results.append(PageResult(truth["file"], {f: CHECKS[f](article, truth) for f in FIELDS}))
    return results


def accuracy_report(folder: Path = DEV_PAGES) -> str:
    """A per-field accuracy table on the dev pages, with the misses listed."""
    results = evaluate(folder)
    lines = [f"{'field':<12} {'correct':>8} {'accuracy':>9}  misses"]
    for field in FIELDS:
        good = sum(r.correct[field] for r in results)
        misses = ", ".join(r.file.split("_")[0] for r in results if not r.correct[field])
        lines.append(
            f"{field:<12} {good:>4}/{len(results):<3} {good / len(results):>9.1%}  {misses}"
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
    print("\n" + accuracy_report())
    total = sum(sum(r.correct.values()) for r in results)
    assert total / (len(results) * len(FIELDS)) >= THRESHOLD


@needs_pages
def test_every_dev_page_parses() -> None:
    for page in sorted(DEV_PAGES.glob("*.txt")):
        article = parse_page(decode_seed(page.read_bytes()))
        assert article.title and article.body, page.name
        assert 0 < len(article.tags) <= 8, page.name
