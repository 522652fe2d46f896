"""The store on SQLite and PostgreSQL: migrations, saving, ids, queries and search."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import inspect

from newsbot.errors import QueryError
from newsbot.store import SeedFile, SeedRecord, Store
from newsbot.store.engine import schema_revision
from tests.factories import CHINA, make_article


def save(store: Store, *articles_with_origin: tuple[str, object]) -> list[str]:
    files = [
        SeedFile(origin, f"hash-{origin}-{id(article)}", 1, (SeedRecord(origin, article),))  # type: ignore[arg-type]
        for origin, article in articles_with_origin
    ]
    return [outcome for outcomes in store.save_seed_files(files) for outcome in outcomes]


def test_migrations_create_schema_and_are_idempotent(db_url: str) -> None:
    store = Store.open(db_url)
    current, head = schema_revision(store.engine)
    assert current == head
    names = set(inspect(store.engine).get_table_names())
    assert {"articles", "tags", "article_tags", "seed_files", "seed_origins"} <= names
    store.close()
    again = Store.open(db_url)  # a second start migrates nothing and keeps data
    assert schema_revision(again.engine)[0] == head
    again.close()


def test_save_new_unchanged_updated_keeps_id(store: Store) -> None:
    first = make_article(1)
    assert save(store, ("a.txt", first)) == ["new"]
    article = store.latest(1).articles[0]
    assert len(article.id) == 8 and article.id.isalnum()
    assert save(store, ("a.txt", first)) == ["unchanged"]
    # Same article under another file name: still one article.
    assert save(store, ("copy.txt", first)) == ["unchanged"]
    assert store.count_articles() == 1
    # Edited file: same id, new body.
    edited = make_article(1, body=("修改后的正文，增加了关于公交专用道的内容。",))
    assert save(store, ("a.txt", edited)) == ["updated"]
    assert store.count_articles() == 1
    again = store.get(article.id)
    assert again is not None and again.body == ("修改后的正文，增加了关于公交专用道的内容。",)
    assert store.search(["公交专用道"]).articles[0].id == article.id
    assert store.search(["早高峰"]).articles == ()  # old text left the index


def test_fields_round_trip(store: Store) -> None:
    original = make_article(3, url="https://example.com/a/3.html", summary="人工摘要。")
    save(store, ("r.txt", original))
    got = store.latest(1).articles[0]
    assert got.title == original.title
    assert got.body == original.body
    assert got.summary == "人工摘要。" and got.summary_generated is False
    assert got.published == original.published
    assert got.published is not None and got.published.utcoffset() == timedelta(hours=8)
    assert got.breadcrumb == original.breadcrumb and got.keywords == original.keywords
    assert got.tags == original.tags
    assert got.url == original.url and got.author == "李明" and got.editor == "王芳"


def test_latest_and_tag_order_and_paging(store: Store) -> None:
    for n in range(7):
        tags = ("财经",) if n % 2 else ("体育", "财经")
        save(store, (f"{n}.txt", make_article(n, tags=tags)))
    page = store.latest(3)
    assert [a.title for a in page.articles] == [make_article(n).title for n in (6, 5, 4)]
    assert page.has_more
    last = store.latest(3, offset=6)
    assert len(last.articles) == 1 and not last.has_more
    sport = store.by_tag("#体育", 10)
    assert [a.title for a in sport.articles] == [make_article(n).title for n in (6, 4, 2, 0)]
    top = store.top_tags()
    assert (top[0].tag, top[0].count) == ("财经", 7)
    assert ("体育", 4) in [(t.tag, t.count) for t in top]
    assert [t.tag for t in store.similar_tags("体")] == ["体育"]


def test_search_substrings_of_every_length(store: Store) -> None:
    save(
        store,
        ("un.txt", make_article(1, body=("联合国大会今天开幕，各国代表发言。",))),
        ("joint.txt", make_article(2, body=("两家企业联合发布新产品。",))),
        ("other.txt", make_article(3, body=("天气晴朗，适合出行。",))),
    )

    def titles(*words: str) -> set[str]:
        return {a.title for a in store.search(list(words), limit=20).articles}

    assert titles("联合") == {make_article(1).title, make_article(2).title}
    assert titles("联合国") == {make_article(1).title}
    assert titles("合国大") == {make_article(1).title}
    assert titles("晴") == {make_article(3).title}
    assert titles("联合", "产品") == {make_article(2).title}
    assert titles("联合国大会今天开幕") == {make_article(1).title}
    assert titles("开幕联合国") == set()  # all grams exist, but not as one phrase
    # Full-width letters and case fold like the text.
    save(store, ("en.txt", make_article(4, body=("ＡＰＥＣ峰会在利马举行。",))))
    assert titles("apec") == {make_article(4).title}


@pytest.mark.parametrize(
    "words",
    [
        ['"联合'],
        ["*"],
        ["联合", "AND"],
        ["NEAR(联合"],
        ["%"],
        ["_"],
        ["'; DROP TABLE articles; --"],
        ["联合%"],
        ["a_b"],
        ["OR", "NOT"],
    ],
)
def test_search_input_is_plain_text(store: Store, words: list[str]) -> None:
    save(store, ("un.txt", make_article(1, body=("联合国大会今天开幕。",))))
    with contextlib.suppress(QueryError):  # refused politely, never a database error
        store.search(words)
    assert store.count_articles() == 1


def test_search_rejects_empty_and_long(store: Store) -> None:
    with pytest.raises(QueryError):
        store.search(["%%", "*"])
    with pytest.raises(QueryError):
        store.search(["长" * 101])


def test_search_ranks_title_hits_first(store: Store) -> None:
    save(
        store,
        ("old.txt", make_article(1, title="地铁新线开通", body=("市民乘坐地铁出行。",))),
        ("new.txt", make_article(2, body=("今天也提到了地铁。",))),
    )
    got = store.search(["地铁"]).articles
    assert [a.title for a in got] == ["地铁新线开通", make_article(2).title]
    first, second = store.search(["地铁"], limit=1), store.search(["地铁"], limit=1, offset=1)
    assert [a.title for a in first.articles] == ["地铁新线开通"] and first.has_more
    assert [a.title for a in second.articles] == [make_article(2).title]
    assert not second.has_more
    assert store.search(["地铁"], limit=1, offset=2).articles == ()


def test_published_none_sorts_by_ingest_time(store: Store) -> None:
    from dataclasses import replace

    save(store, ("x.txt", replace(make_article(1), published=None)))
    got = store.latest(1).articles[0]
    assert got.published is None
    assert got.ingested_at.tzinfo is not None
    assert got.ingested_at.astimezone(CHINA).year >= 2024


def test_upgrade_from_first_revision_keeps_data(db_url: str) -> None:
    from alembic import command

    from newsbot.store.engine import _alembic_config

    # Today's code writes today's schema; the data is then taken back to 0001.
    old = Store.open(db_url)
    save(old, ("kept.txt", make_article(5)))
    (before,) = old.latest(1).articles
    with old.engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert schema_revision(old.engine)[0] == "0001"
    old.close()
    upgraded = Store.open(db_url)  # every later migration runs on start
    current, head = schema_revision(upgraded.engine)
    assert current == head != "0001"
    (after,) = upgraded.latest(1).articles
    assert after == before and upgraded.search(["联合国"]).articles[0].id == before.id
    upgraded.close()
