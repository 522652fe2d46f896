"""Several instances on one database: outbox claims, the leader's lease, failover after a
kill -9, a second instance refused on SQLite, and webhook mode with repeated updates."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from newsbot.store import Store
from tests.test_delivery import Factory

# ------------------------------------------------------------------- outbox claims


def test_two_claimers_never_get_the_same_message(store: Store) -> None:
    factory = Factory(store.engine)
    for chat in range(1, 41):
        factory.digest(chat, count=2)
    now = datetime.now(UTC)
    until = now + timedelta(seconds=15)
    heads = store.outbox.due(now, 100)
    assert len(heads) == 40  # the first message of each chat
    pks = [m.pk for m in heads]
    won: dict[str, list[int]] = {}

    def claim(holder: str) -> None:
        other = Store(store.engine)  # another process would have its own; one engine is enough
        won[holder] = other.outbox.claim(pks, holder, until, now)

    threads = [threading.Thread(target=claim, args=(f"h{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [pk for got in won.values() for pk in got]
    assert sorted(everything) == sorted(pks)  # each once, none lost
    assert store.outbox.due(now, 100) == []  # held heads offer nothing, nor what follows them
    assert store.outbox.claim(pks, "late", until, now) == []


def test_an_expired_claim_is_taken_over_and_a_renewal_then_fails(store: Store) -> None:
    factory = Factory(store.engine)
    factory.digest(7, count=2)
    now = datetime.now(UTC)
    (head,) = store.outbox.due(now, 10)
    assert store.outbox.claim([head.pk], "dead", now + timedelta(seconds=15), now) == [head.pk]
    assert store.outbox.next_due() == now + timedelta(seconds=15)  # when it lapses
    later = now + timedelta(seconds=16)
    (again,) = store.outbox.due(later, 10)  # the claim lapsed: the head is offered again
    assert again.pk == head.pk
    assert store.outbox.claim([head.pk], "alive", later + timedelta(seconds=15), later) == [head.pk]
    assert not store.outbox.renew(head.pk, "dead", later + timedelta(seconds=30))
    assert store.outbox.renew(head.pk, "alive", later + timedelta(seconds=30))


def test_claims_keep_chat_order_and_release_gives_back(store: Store) -> None:
    factory = Factory(store.engine)
    queued = factory.digest(9, count=3)
    now = datetime.now(UTC)
    until = now + timedelta(seconds=15)
    first, second, third = (row["pk"] for row in factory.rows(queued.digest_pk))
    assert isinstance(first, int) and isinstance(second, int)
    # Only the head can be claimed while it is pending; the second waits its turn.
    (head,) = store.outbox.due(now, 10)
    assert head.pk == first
    assert store.outbox.claim([first], "a", until, now) == [first]
    assert store.outbox.due(now, 10) == []
    store.outbox.release([first], "b")  # not b's: nothing changes
    assert store.outbox.due(now, 10) == []
    store.outbox.release([first], "a")
    assert [m.pk for m in store.outbox.due(now, 10)] == [first]
    assert store.outbox.claim([first], "b", until, now) == [first]
    assert store.outbox.mark_sent(first, 100, now)
    (head,) = store.outbox.due(now, 10)
    assert head.pk == second  # in order, and free to any process
    assert store.outbox.claim([second], "a", until, now) == [second]
    store.outbox.mark_retry(second, now + timedelta(seconds=5), "network error")
    assert store.outbox.due(now, 10) == []  # the retry waits; the third never overtakes it
    assert [m.pk for m in store.outbox.due(now + timedelta(seconds=6), 10)] == [second]
    assert third > second
