"""Subscriptions in the store: changes with audit, digest candidates, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsbot.models import Filters, SubscriptionSpec
from newsbot.store import Store
from newsbot.store.subscriptions import Actor
from tests.factories import fill, make_article

NOW = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
ALICE = Actor(7, "@alice")


def subscribe(store: Store, filters: Filters | None = None, max_items: int = 10) -> int:
    sub = store.subscriptions.create(
        chat_id=42,
        chat_type="private",
        chat_title="Alice",
        spec=SubscriptionSpec(filters=filters or Filters(), max_items=max_items),
        language="zh",
        actor=ALICE,
        now=NOW,
    )
    return sub.id


def test_create_change_remove_with_audit(store: Store) -> None:
    sub_id = subscribe(store, Filters(("财经",)))
    got = store.subscriptions.get(sub_id)
    assert got is not None and got.spec.filters.tags == ("财经",) and got.active
    assert got.created_by == 7 and got.created_at == NOW
    changed = store.subscriptions.change(
        sub_id, SubscriptionSpec(times=("07:30",)), Actor(None, "cli"), NOW + timedelta(minutes=1)
    )
    assert changed.spec.times == ("07:30",)
    assert [s.id for s in store.subscriptions.for_chat(42)] == [sub_id]
    assert store.subscriptions.remove(sub_id, ALICE, NOW) is not None
    assert store.subscriptions.get(sub_id) is None
    assert store.subscriptions.remove(sub_id, ALICE, NOW) is None
    actions = [(e.actor, e.action) for e in reversed(store.subscriptions.audit(42))]
    assert actions == [("@alice", "subscribe"), ("cli", "set"), ("@alice", "unsubscribe")]
    assert store.subscriptions.counts() == {"active": 0, "inactive": 0}


def test_candidates_follow_filters(store: Store) -> None:
    fill(
        store,
        [
            make_article(1, tags=("财经",), body=("股市今天上涨，联合国发布报告。",)),
            make_article(2, tags=("财经",), body=("股市下跌，广告很多。",)),
            make_article(3, tags=("体育",), body=("足球比赛结束，股市无关。",)),
            make_article(4, tags=("科技",), body=("新手机发布。",)),
        ],
    )

    def titles(filters: Filters, max_items: int = 10) -> list[str]:
        sub = store.subscriptions.get(subscribe(store, filters, max_items))
        assert sub is not None
        return [a.title for a in store.subscriptions.candidates(sub)]

    t = [make_article(n).title for n in range(5)]
    assert titles(Filters()) == [t[4], t[3], t[2], t[1]]  # everything, newest first
    assert titles(Filters(), max_items=2) == [t[4], t[3]]
    assert titles(Filters(tags=("财经", "体育"))) == [t[3], t[2], t[1]]  # any of the tags
    assert titles(Filters(include=("股市",))) == [t[3], t[2], t[1]]
    assert titles(Filters(include=("股市", "联合"))) == [t[1]]  # all of the words
    assert titles(Filters(tags=("财经",), exclude=("广告",))) == [t[1]]
    assert titles(Filters(include=("%",))) == [t[4], t[3], t[2], t[1]]  # no syntax, no filter
