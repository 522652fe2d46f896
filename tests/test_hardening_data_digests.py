"""Digest cursors follow the commit order of ingests, not wall time, through an index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from newsbot.models import Filters, Subscription, SubscriptionSpec
from newsbot.store import SeedFile, SeedRecord, Store
from newsbot.store.engine import _alembic_config, create_store_engine, migrate
from newsbot.store.subscriptions import Actor
from tests.factories import candidate_query_plan, make_article

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def subscribe(store: Store) -> int:
    return store.subscriptions.create(
        chat_id=42,
        chat_type="private",
        chat_title="Alice",
        spec=SubscriptionSpec(filters=Filters()),
        language="zh",
        actor=Actor(7, "@alice"),
        now=NOW - timedelta(days=1),
    ).id


def save(store: Store, n: int, now: datetime) -> None:
    article = make_article(n)
    store.save_seed_files(
        [SeedFile(f"{n}.txt", f"h{n}", 1, (SeedRecord(f"{n}.txt", article),))], now
    )


def digest_titles(store: Store, sub_id: int, slot: datetime) -> list[str]:
    sub = store.subscriptions.get(sub_id)
    assert sub is not None
    chosen: list[str] = []

    def render(articles: object) -> list[str]:
        chosen.extend(a.title for a in articles)  # type: ignore[attr-defined]
        return ["digest"] if chosen else []

    assert store.subscriptions.create_digest(sub, slot, "scheduled", render, slot) is not None
    return chosen


def test_article_committed_during_a_digest_is_offered_next_time(store: Store) -> None:
    sub_id = subscribe(store)
    save(store, 1, NOW - timedelta(hours=1))
    assert digest_titles(store, sub_id, NOW) == [make_article(1).title]
    # An ingest that started before that digest (its articles are stamped then)
    # but committed after it: its article must not fall behind the cursor.
    save(store, 2, NOW - timedelta(minutes=5))
    sub = store.subscriptions.get(sub_id)
    assert sub is not None
    assert [a.title for a in store.subscriptions.candidates(sub)] == [make_article(2).title]
    assert digest_titles(store, sub_id, NOW + timedelta(hours=1)) == [make_article(2).title]
    assert digest_titles(store, sub_id, NOW + timedelta(hours=2)) == []


def test_upgrade_turns_time_cursors_into_ingest_numbers(db_url: str) -> None:
    from alembic import command

    store = Store.open(db_url)
    sub_id = subscribe(store)
    save(store, 1, NOW - timedelta(hours=2))
    assert digest_titles(store, sub_id, NOW - timedelta(hours=1)) == [make_article(1).title]
    save(store, 2, NOW)  # after that digest: not yet offered
    store.close()

    engine = create_store_engine(db_url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")  # the database as 0003 left it: a time cursor only
    with engine.begin() as conn:
        cursor = conn.execute(text("SELECT cursor_at FROM subscriptions")).scalar_one()
        assert cursor is not None
    migrate(engine)
    upgraded = Store(engine)
    assert digest_titles(upgraded, sub_id, NOW + timedelta(hours=1)) == [make_article(2).title]
    save(upgraded, 3, NOW + timedelta(hours=1))
    assert digest_titles(upgraded, sub_id, NOW + timedelta(hours=2)) == [make_article(3).title]
    upgraded.close()


def test_a_digest_reads_new_ingests_through_an_index(store: Store) -> None:
    """The candidate query of a subscription with a cursor is a range on the ingest
    number's index, not a scan of every article."""
    for n in range(0, 60, 20):
        store.save_seed_files(
            [
                SeedFile(f"{i}.txt", f"h{i}", 1, (SeedRecord(f"{i}.txt", make_article(i)),))
                for i in range(n, n + 20)
            ],
            NOW - timedelta(hours=2),
        )
    sub_id = subscribe(store)
    assert len(digest_titles(store, sub_id, NOW)) == 10
    save(store, 100, NOW)
    sub = store.subscriptions.get(sub_id)
    assert sub is not None

    titles: list[str] = []
    plan = candidate_query_plan(
        store, lambda: titles.extend(a.title for a in store.subscriptions.candidates(sub))
    )
    assert titles == [make_article(100).title]
    assert "ix_articles_ingest_seq" in plan, plan


def test_both_candidate_plans_choose_the_same(store: Store) -> None:
    """The first digest's plan (whole store) and the later one (new ingests only) agree."""
    bodies = [
        "股市今天上涨，联合国发布报告。",
        "股市下跌，广告很多。",
        "足球比赛结束，股市无关。",
        "新手机发布，C++ 与 AI 大会召开。",
        "联合发布：100% 完成。",
    ]
    tags = [("财经",), ("财经",), ("体育",), ("科技",), ("科技", "财经")]
    for n, (body, tag) in enumerate(zip(bodies, tags, strict=True)):
        save_article = make_article(n, tags=tag, body=(body,))
        store.save_seed_files(
            [SeedFile(f"{n}.txt", f"h{n}", 1, (SeedRecord(f"{n}.txt", save_article),))], NOW
        )
    cases = [
        Filters(),
        Filters(tags=("财经", "体育")),
        Filters(include=("股市",)),
        Filters(include=("股市", "联合")),
        Filters(include=("联合国",)),
        Filters(include=("c++",)),
        Filters(include=("%",)),
        Filters(tags=("财经",), exclude=("广告",)),
        Filters(exclude=("联合国",)),
        Filters(exclude=("股",)),
        Filters(exclude=("100%",)),
        Filters(tags=("科技",), include=("发布",), exclude=("ai",)),
    ]
    for filters in cases:
        sub = store.subscriptions.create(
            chat_id=42,
            chat_type="private",
            chat_title="Alice",
            spec=SubscriptionSpec(filters=filters),
            language="zh",
            actor=Actor(7, "@alice"),
            now=NOW,
        )
        whole, since = both_plans(store, sub)
        assert whole == since, filters
        assert store.subscriptions.remove(sub.id, Actor(7, "@alice"), NOW)


def test_excluded_words_past_the_first_few_matches(store: Store) -> None:
    """Later digests check excluded words a few articles at a time: still the newest
    articles without them, however many newer ones hold them."""
    for n in range(12):
        body = ("今天的广告很多。",) if n >= 3 else ("今天没有别的。",)
        article = make_article(n, body=body)
        store.save_seed_files(
            [SeedFile(f"{n}.txt", f"h{n}", 1, (SeedRecord(f"{n}.txt", article),))], NOW
        )
    sub = store.subscriptions.create(
        chat_id=42,
        chat_type="private",
        chat_title="Alice",
        spec=SubscriptionSpec(filters=Filters(exclude=("广告",)), max_items=2),
        language="zh",
        actor=Actor(7, "@alice"),
        now=NOW,
    )
    whole, since = both_plans(store, sub)
    assert whole == since == [make_article(2).title, make_article(1).title]


def both_plans(store: Store, sub: Subscription) -> tuple[list[str], list[str]]:
    """The candidates' titles by the first digest's plan (whole store, a day's window)
    and by the later one (every ingest since the start), up to the last ingest."""
    with store.engine.connect() as conn:
        upto = int(conn.execute(text("SELECT seq FROM ingest_sequence")).scalar_one())
        rows = store.subscriptions._candidate_rows
        whole = [r.title for r in rows(sub, conn, None, upto, NOW, timedelta(days=1))]
        since = [r.title for r in rows(sub, conn, 0, upto, NOW, timedelta(days=1))]
    return whole, since
