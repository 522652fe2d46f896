"""Digest cursors follow the commit order of ingests, not wall time; upgrades keep them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from newsbot.models import Filters, SubscriptionSpec
from newsbot.store import SeedFile, SeedRecord, Store
from newsbot.store.engine import _alembic_config, create_store_engine, migrate
from newsbot.store.subscriptions import Actor
from tests.factories import make_article

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
