"""Issue 10, item 5: search storage and plans at scale must not change what search finds.

PostgreSQL keeps each article's grams as one text indexed as an array, with its date
beside them (migration 0012). Both engines answer a search by checking the newest rows
or from the gram index (FTS5 on SQLite; rounds of the newest candidates on PostgreSQL).
Every answer is checked against a plain reading of the texts, on both engines, with
either plan forced, and on a database filled before 0012.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

import newsbot.store.store as store_module
from newsbot.models import ArticleIn
from newsbot.store import Store
from newsbot.store.engine import create_store_engine, migrate
from newsbot.store.grams import normalize
from tests.factories import CHINA, fill, make_article
from tests.old_layouts import grams_before_0012
from tests.test_hardening_leftovers_search import _downgrade

START = datetime(2024, 3, 1, 8, 0, tzinfo=CHINA)
WORDS = ["联合国", "地铁", "线路调整", "城市", "1号", "新闻", "测试", "高峰", "市"]


def _articles() -> list[ArticleIn]:
    """Titles and bodies that share words in different places, dated out of pk order."""
    out = []
    for n in range(40):
        article = make_article(n, published=START + timedelta(hours=(n * 7) % 40))
        if n % 3 == 0:
            article = replace(article, title=f"联合国地铁报告第{n}号")
        if n % 4 == 0:
            article = replace(article, body=(*article.body, "城市线路调整后高峰缩短。"))
        if n % 5 == 0:
            article = replace(article, published=None)  # dated by its ingest
        out.append(article)
    return out


def _reference(store: Store, words: list[str]) -> list[str]:
    """Title hits, then the other matches, each newest first: read from every row."""
    terms = [normalize(w).strip() for w in words]
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, title_norm, search_text, sort_at, pk FROM articles")
        ).all()
    title = [r for r in rows if all(t in r.title_norm for t in terms)]
    other = [r for r in rows if r not in title and all(t in r.search_text for t in terms)]

    def newest(part: list) -> list[str]:  # type: ignore[type-arg]
        return [r.id for r in sorted(part, key=lambda r: (r.sort_at, r.pk), reverse=True)]

    return newest(title) + newest(other)


def _pages(store: Store, words: list[str], size: int) -> list[str]:
    found: list[str] = []
    offset = 0
    while True:
        page = store.search(words, limit=size, offset=offset)
        found += [a.id for a in page.articles]
        if not page.has_more:
            return found
        offset += size


@pytest.mark.parametrize("budget", [1, 3, 100_000], ids=["index", "mixed", "walk"])
def test_search_finds_what_the_texts_hold(
    db_url: str, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    monkeypatch.setattr(store_module, "TITLE_WALK", budget)
    monkeypatch.setattr(store_module, "TEXT_WALK", budget)
    monkeypatch.setattr(store_module, "FIRST_CANDIDATES", budget)  # rounds of the index
    store = Store.open(db_url)
    try:
        fill(store, _articles())
        queries = [[w] for w in WORDS] + [["地铁", "线路调整"], ["联合国", "高峰"], ["无此词"]]
        for words in queries:
            expected = _reference(store, words)
            assert _pages(store, words, 4) == expected, words
            assert _pages(store, words, 50) == expected, words
        # An update moves an article in date order; the index follows it.
        moved = replace(_articles()[2], published=START + timedelta(days=30))
        fill(store, [moved])
        assert _pages(store, ["地铁"], 3) == _reference(store, ["地铁"])
    finally:
        store.close()


def test_a_database_filled_before_0012_finds_the_same(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_store_engine(db_url)
    try:
        migrate(engine, "0011")
        with grams_before_0012(monkeypatch):
            fill(Store(engine), _articles())
        migrate(engine)
        store = Store(engine)
        queries = [[w] for w in WORDS] + [["地铁", "线路调整"]]
        for words in queries:
            assert _pages(store, words, 4) == _reference(store, words), words
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                unsorted = conn.execute(
                    text(
                        "SELECT count(*) FROM article_search s JOIN articles a"
                        " ON a.pk = s.article_pk WHERE s.sort_at IS DISTINCT FROM a.sort_at"
                    )
                ).scalar_one()
            assert unsorted == 0
        _downgrade(engine, "0011")  # and back, then up again: nothing lost
        migrate(engine)
        store = Store(engine)
        for words in queries:
            assert _pages(store, words, 4) == _reference(store, words), words
    finally:
        engine.dispose()
