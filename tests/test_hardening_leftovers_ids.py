"""Issue 8, item 20: a subscription id is never given again after its subscription is deleted.

The audit log names subscriptions by id: with SQLite's plain rowid a new subscription
took the id of the newest one deleted, so "#2 removed" and "#2 created" were two
different things. SQLite tables need AUTOINCREMENT (migration 0009 rebuilds the
subscriptions table and the ones pointing at it); PostgreSQL's sequence never goes back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from newsbot.models import Filters, SubscriptionSpec
from newsbot.store import SeedFile, SeedRecord, Store
from newsbot.store.engine import create_store_engine, migrate
from newsbot.store.subscriptions import Actor
from tests.factories import make_article
from tests.old_layouts import grams_before_0012

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
ALICE = Actor(7, "@alice")


def subscribe(store: Store, chat_id: int = 42) -> int:
    return store.subscriptions.create(
        chat_id=chat_id,
        chat_type="private",
        chat_title="Alice",
        spec=SubscriptionSpec(filters=Filters()),
        language="zh",
        actor=ALICE,
        now=NOW,
    ).id


def test_a_deleted_subscriptions_id_is_not_given_again(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        first, second = subscribe(store), subscribe(store, 43)
        assert store.subscriptions.remove(second, ALICE, NOW) is not None
        third = subscribe(store, 44)
        assert third > max(first, second)
        created = _audited_ids(store.engine, "create")
        assert created == sorted(set(created))  # each create names its own subscription
    finally:
        store.close()


def _audited_ids(engine: Engine, action: str) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT subscription_pk FROM audit_log WHERE action = :a ORDER BY pk"),
                {"a": action},
            ).scalars()
        )


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("subscriptions", "digests", "outbox", "delivered", "audit_log")
        }


def _digest(store: Store, sub_id: int, slot: datetime) -> None:
    sub = store.subscriptions.get(sub_id)
    assert sub is not None
    assert store.subscriptions.create_digest(sub, slot, "scheduled", lambda a: ["digest"], slot)


def test_a_database_from_0006_never_reuses_ids_and_keeps_its_digests(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_store_engine(db_url)
    try:
        migrate(engine, "0006")
        old = Store(engine)
        article = make_article(1)
        with grams_before_0012(monkeypatch):
            old.save_seed_files([SeedFile("1.txt", "h1", 1, (SeedRecord("1.txt", article),))], NOW)
        kept, removed = subscribe(old), subscribe(old, 43)
        _digest(old, kept, NOW + timedelta(hours=1))
        _digest(old, removed, NOW + timedelta(hours=1))
        assert old.subscriptions.remove(removed, ALICE, NOW) is not None
        before = _counts(engine)
        assert before["digests"] == before["outbox"] == before["delivered"] == 1

        migrate(engine)
        store = Store(engine)
        assert _counts(engine) == before  # the rebuild keeps every row
        sub = store.subscriptions.get(kept)
        assert sub is not None and sub.chat_id == 42
        # What its digest delivered still counts: the article is not offered again.
        assert list(store.subscriptions.candidates(sub)) == []
        newest = subscribe(store, 44)
        assert newest > max(kept, removed)
        # Deleting it cascades as before.
        assert store.subscriptions.remove(kept, ALICE, NOW) is not None
        assert _counts(engine)["digests"] == 0 and _counts(engine)["delivered"] == 0
        assert subscribe(store, 45) > newest
    finally:
        engine.dispose()
