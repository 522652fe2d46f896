"""Digest building reads bounded index ranges: the first digest a look-back window of
recent news (not the archive), later ones the new ingests (issue 8, item 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from newsbot.digest.builder import look_back
from newsbot.models import Filters, SubscriptionSpec
from newsbot.store import SeedFile, SeedRecord, Store
from newsbot.store.subscriptions import Actor
from tests.factories import candidate_query_plan, make_article

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def save(store: Store, n: int, published: datetime, **fields: Any) -> None:
    article = make_article(n, published=published, **fields)
    store.save_seed_files(
        [SeedFile(f"{n}.txt", f"h{n}", 1, (SeedRecord(f"{n}.txt", article),))], NOW
    )


def subscribe(store: Store, filters: Filters | None = None, **spec: Any) -> int:
    return store.subscriptions.create(
        chat_id=42,
        chat_type="private",
        chat_title="Alice",
        spec=SubscriptionSpec(filters=filters or Filters(), **spec),
        language="zh",
        actor=Actor(7, "@alice"),
        now=NOW - timedelta(days=1),
    ).id


def digest(store: Store, sub_id: int, slot: datetime, window: timedelta) -> list[str]:
    sub = store.subscriptions.get(sub_id)
    assert sub is not None
    chosen: list[str] = []

    def render(articles: Any) -> list[str]:
        chosen.extend(a.title for a in articles)
        return ["digest"] if chosen else []

    created = store.subscriptions.create_digest(sub, slot, "scheduled", render, slot, window)
    assert created is not None
    return chosen


def test_first_digest_holds_recent_news_not_the_archive(store: Store) -> None:
    """The window ends at the newest article up to now (the store may lag behind the
    clock), so an article dated in the future neither moves it nor is left out."""
    newest = NOW - timedelta(days=30)
    for n, age in enumerate(
        [timedelta(0), timedelta(hours=20), timedelta(days=2), timedelta(days=400)]
    ):
        save(store, n, newest - age)
    save(store, 9, NOW + timedelta(days=365))  # a wrong date
    sub_id = subscribe(store)
    titles = [make_article(n).title for n in (9, 0, 1)]
    sub = store.subscriptions.get(sub_id)
    assert sub is not None
    preview = store.subscriptions.candidates(sub, NOW, timedelta(days=1))
    assert [a.title for a in preview] == titles
    assert all(a.body == () for a in preview)  # digests list titles and summaries only
    assert digest(store, sub_id, NOW, timedelta(days=1)) == titles
    # Older articles were passed over for good; new ingests come next, whatever their date.
    assert digest(store, sub_id, NOW + timedelta(hours=1), timedelta(days=1)) == []
    save(store, 5, newest - timedelta(days=100))
    assert digest(store, sub_id, NOW + timedelta(hours=2), timedelta(days=1)) == [
        make_article(5).title
    ]


def test_first_digest_window_filters_like_the_gram_index(store: Store) -> None:
    """In the window words are checked on the text: the same answers as the index."""
    bodies = ["股市今天上涨，联合国发布报告。", "联合发布：100% 完成。", "C++ 与 AI 大会召开。"]
    for n, body in enumerate(bodies):
        save(store, n, NOW - timedelta(hours=n), body=(body,), tags=("财经",) if n else ())
    cases = {
        Filters(include=("联合",)): [0, 1],
        Filters(include=("联合国",)): [0],
        Filters(include=("Ｃ＋＋",)): [2],  # full width, as a reader may type it
        Filters(include=("%",)): [0, 1, 2],  # no letters: no condition
        Filters(include=("100%",)): [1],
        Filters(tags=("财经",), exclude=("ai",)): [1],
        Filters(exclude=("联合",)): [2],
    }
    for filters, expected in cases.items():
        sub_id = subscribe(store, filters)
        sub = store.subscriptions.get(sub_id)
        assert sub is not None
        got = [a.title for a in store.subscriptions.candidates(sub, NOW, timedelta(days=1))]
        assert got == [make_article(n).title for n in expected], filters
        assert store.subscriptions.remove(sub_id, Actor(7, "@alice"), NOW)


def test_first_digest_reads_the_window_through_an_index(store: Store) -> None:
    for n in range(30):
        save(store, n, NOW - timedelta(days=n), tags=("城市",))
    sub_id = subscribe(store, Filters(tags=("城市",), include=("城市",), exclude=("广告",)))
    sub = store.subscriptions.get(sub_id)
    assert sub is not None
    plan = candidate_query_plan(
        store, lambda: store.subscriptions.candidates(sub, NOW, timedelta(days=1))
    )
    if store.dialect == "sqlite":
        assert "ix_articles_sort_at" in plan and "SCAN articles" not in plan, plan
    else:  # the planner may start from the window or from the tag's articles
        assert "Seq Scan on articles" not in plan, plan


def test_look_back_covers_one_regular_digest() -> None:
    assert look_back(SubscriptionSpec()) == timedelta(days=1)
    assert look_back(SubscriptionSpec(times=("08:00", "20:00"))) == timedelta(days=1)
    assert look_back(SubscriptionSpec(weekdays_only=True)) == timedelta(days=3)
    weekdays = SubscriptionSpec(times=("20:00", "08:00"), weekdays_only=True)
    assert look_back(weekdays) == timedelta(hours=60)  # Friday 20:00 to Monday 08:00


def test_a_weekdays_only_first_digest_covers_the_weekend(store: Store) -> None:
    from zoneinfo import ZoneInfo

    from newsbot.digest.builder import DigestBuilder
    from newsbot.render import Renderer

    save(store, 1, NOW - timedelta(hours=60))  # Friday evening, seen on Monday morning
    save(store, 2, NOW)
    builder = DigestBuilder(store, Renderer(ZoneInfo("Asia/Shanghai")))
    daily, weekdays = (
        store.subscriptions.get(subscribe(store, weekdays_only=flag)) for flag in (False, True)
    )
    assert daily is not None and weekdays is not None
    assert make_article(1).title not in "".join(builder.preview(daily, NOW, None))
    assert make_article(1).title in "".join(builder.preview(weekdays, NOW, None))
    assert make_article(2).title in "".join(builder.preview(daily, NOW, None))


def test_a_failed_first_digest_leaves_the_next_one_a_first_digest(store: Store) -> None:
    """Its articles go back, and the retry reads the look-back window again, not the
    whole ingest they came in (which may hold the archive too)."""
    newest = NOW - timedelta(days=1)
    records = [
        SeedRecord(f"{n}.txt", make_article(n, published=newest - age))
        for n, age in enumerate([timedelta(0), timedelta(hours=5), timedelta(days=300)])
    ]
    store.save_seed_files([SeedFile("all.txt", "h", 1, tuple(records))], NOW)
    sub_id = subscribe(store)
    recent = [make_article(n).title for n in (0, 1)]
    assert digest(store, sub_id, NOW, timedelta(days=1)) == recent
    [message] = store.outbox.due(NOW + timedelta(hours=1))
    assert store.outbox.give_up(message.pk, "chat unreachable for a day", NOW) == 2
    assert digest(store, sub_id, NOW + timedelta(days=1), timedelta(days=1)) == recent
