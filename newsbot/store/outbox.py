"""The outbox: messages waiting to be sent, what was sent, and what went wrong (all SQL).

A digest's messages are inserted in the same transaction that records the digest
(:func:`insert_messages`). The deliverer then asks for the *head* of each chat — its
oldest pending message — so a chat's messages go out in order even while one of
them waits for a retry, and records Telegram's message id right after each send,
so a crash repeats at most the messages that were in flight.

Several processes may send from one outbox (instances of the bot on one PostgreSQL,
``newsbot.delivery.main`` beside the bot). A process *claims* the heads it is about to send
(:meth:`OutboxStore.claim`: ``claimed_by`` and a lease, ``claim_until``), so each
message is sent by one process and a chat has at most one message in flight across
all of them; a claim whose process died lapses and another process takes the
message over. On PostgreSQL the claim locks the rows with ``FOR UPDATE SKIP LOCKED``;
on SQLite one ``UPDATE … WHERE claim_until < now`` does it (the database is locked
while it runs).

Statuses: a message is ``pending`` until it is ``sent`` or ``failed``; a digest is
``sent`` once every message of it is, ``failed`` as soon as one of them fails.

When delivery gives up on a digest because its chat could not be reached (a network
outage outlasting the retry window, a chat that blocked the bot), its articles go
back to the subscription's pool (:func:`_return_articles`): the next digest offers
them again, so an outage delays content but never loses it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from newsbot.store.schema import (
    UTCDateTime,
    articles,
    chat_events,
    delivered,
    digests,
    outbox,
    subscriptions,
)

__all__ = [
    "ChatEvent",
    "InactiveSubscription",
    "OutboxMessage",
    "OutboxStats",
    "OutboxStore",
    "insert_messages",
]

_ERROR_CHARS = 500  # errors and reasons are cut to this length before storing
_EXCLUDE_IN_SQL = 500  # larger exclusion sets are filtered in Python instead


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message to send: the head of its chat's queue."""

    pk: int
    digest_pk: int
    chat_id: int
    chat_type: str  # private, group, supergroup, channel (from the subscription)
    seq: int
    text: str
    attempts: int  # failed attempts so far (flood waits do not count)
    not_before: datetime
    first_error_at: datetime | None = None  # the first failed attempt, if any
    claim_until: datetime | None = None  # the sender's hold on it (see OutboxStore.claim)


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something that happened to a chat: error, flood_wait, deactivated, migrated."""

    chat_id: int
    at: datetime
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class InactiveSubscription:
    """A subscription switched off by a permanent failure, and why."""

    subscription_id: int
    chat_id: int
    chat_title: str
    reason: str | None
    since: datetime


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Delivery figures for ``/stats``."""

    sent: int  # messages sent since the given time
    pending: int  # messages waiting now
    failed: int  # messages of digests created since the given time that failed
    flood_waits: int  # 429s since the given time
    last_errors: tuple[ChatEvent, ...]  # each chat's latest error, most recent first
    inactive: tuple[InactiveSubscription, ...]  # most recently deactivated first


def insert_messages(
    conn: Connection, digest_pk: int, chat_id: int, texts: Sequence[str], now: datetime
) -> None:
    """Queue a digest's messages in order, inside the caller's transaction."""
    if not texts:
        return
    conn.execute(
        insert(outbox),
        [
            {
                "digest_pk": digest_pk,
                "chat_id": chat_id,
                "seq": seq,
                "text": text,
                "status": "pending",
                "attempts": 0,
                "not_before": now,
            }
            for seq, text in enumerate(texts)
        ],
    )


def _heads(exclude_chats: Collection[int] = ()) -> Select[Any]:
    """pk of each chat's oldest pending message."""
    query = select(func.min(outbox.c.pk)).where(outbox.c.status == "pending")
    if exclude_chats:
        query = query.where(outbox.c.chat_id.not_in(list(exclude_chats)))
    return query.group_by(outbox.c.chat_id)


def _unclaimed(now: datetime) -> Any:
    """No process holds the message: never claimed, released, or its claim lapsed."""
    return or_(outbox.c.claim_until.is_(None), outbox.c.claim_until < now)


def _message(row: Row[*tuple[Any, ...]]) -> OutboxMessage:
    return OutboxMessage(
        pk=row.pk,
        digest_pk=row.digest_pk,
        chat_id=row.chat_id,
        chat_type=row.chat_type,
        seq=row.seq,
        text=row.text,
        attempts=row.attempts,
        not_before=row.not_before,
        first_error_at=row.first_error_at,
        claim_until=row.claim_until,
    )


def _cut(text: str) -> str:
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1] + "…"


class OutboxStore:
    """Every query the deliverer needs; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ reading

    def due(
        self, now: datetime, limit: int = 500, exclude_chats: Collection[int] = ()
    ) -> list[OutboxMessage]:
        """The head of each chat's queue that is due at ``now``, oldest first.

        A chat whose head waits (a retry, a flood wait) or is held by a process
        sending it offers nothing, so its later messages never overtake it.
        ``exclude_chats`` (chats with a send in flight) are left out. Reading claims
        nothing: :meth:`claim` the messages chosen before sending them.
        """
        in_sql = len(exclude_chats) <= _EXCLUDE_IN_SQL
        query = (
            select(
                outbox.c.pk,
                outbox.c.digest_pk,
                outbox.c.chat_id,
                subscriptions.c.chat_type,
                outbox.c.seq,
                outbox.c.text,
                outbox.c.attempts,
                outbox.c.not_before,
                outbox.c.first_error_at,
                outbox.c.claim_until,
            )
            .join(digests, digests.c.pk == outbox.c.digest_pk)
            .join(subscriptions, subscriptions.c.pk == digests.c.subscription_pk)
            .where(
                outbox.c.pk.in_(_heads(exclude_chats if in_sql else ())),
                outbox.c.not_before <= now,
                _unclaimed(now),
            )
            .order_by(outbox.c.pk)
            .limit(limit if in_sql else limit + len(exclude_chats))
        )
        with self.engine.connect() as conn:
            found = [_message(row) for row in conn.execute(query)]
        if not in_sql:
            found = [m for m in found if m.chat_id not in exclude_chats][:limit]
        return found

    def next_due(self) -> datetime | None:
        """When the earliest waiting head of a chat's queue falls due, or the claim on it
        lapses (None: nothing pending)."""
        free_at = case(
            (outbox.c.claim_until > outbox.c.not_before, outbox.c.claim_until),
            else_=outbox.c.not_before,
        )
        with self.engine.connect() as conn:
            value: datetime | None = conn.execute(
                select(func.min(free_at)).where(outbox.c.pk.in_(_heads()))
            ).scalar_one()
        return value

    def pending_count(self) -> int:
        """Messages not yet sent or failed."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
                ).scalar_one()
            )

    def oldest_pending_at(self) -> datetime | None:
        """When the digest of the oldest message still pending was made (None: none)."""
        with self.engine.connect() as conn:
            value: datetime | None = conn.execute(
                select(func.min(digests.c.created_at))
                .select_from(outbox.join(digests, digests.c.pk == outbox.c.digest_pk))
                .where(outbox.c.status == "pending")
            ).scalar_one()
        return value

    # ------------------------------------------------------------------- claims

    def claim(self, pks: Collection[int], holder: str, until: datetime, now: datetime) -> list[int]:
        """Hold these messages for ``holder`` until ``until``: the pks won, in order.

        A message is won when it is still pending and no other process holds it (a
        lapsed claim is taken over). Pass heads from :meth:`due`: a message stays its
        chat's head until it is sent or fails, so one claim per chat is in force.
        """
        if not pks:
            return []
        free = (
            select(outbox.c.pk)
            .where(outbox.c.pk.in_(list(pks)), outbox.c.status == "pending", _unclaimed(now))
            .order_by(outbox.c.pk)
        )
        if self.engine.dialect.name == "postgresql":
            # Rows another process is claiming are skipped, not waited for.
            free = free.with_for_update(skip_locked=True)
        statement = (
            update(outbox)
            .where(outbox.c.pk.in_(free.scalar_subquery()), _unclaimed(now))
            .values(claimed_by=holder, claim_until=until)
            .returning(outbox.c.pk)
        )
        with self.engine.begin() as conn:
            return sorted(conn.execute(statement).scalars())

    def renew(self, pk: int, holder: str, until: datetime) -> bool:
        """Extend ``holder``'s claim on a message; False when it lost it (another
        process took it over after it lapsed, or it is no longer pending)."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(outbox)
                .where(
                    outbox.c.pk == pk,
                    outbox.c.status == "pending",
                    outbox.c.claimed_by == holder,
                )
                .values(claim_until=until)
            ).rowcount
        return bool(changed)

    def release(self, pks: Collection[int], holder: str) -> None:
        """Give back claims not used (a stopping process), for the others to take at once."""
        if not pks:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.pk.in_(list(pks)),
                    outbox.c.status == "pending",
                    outbox.c.claimed_by == holder,
                )
                .values(claimed_by=None, claim_until=None)
            )

    # ------------------------------------------------------------------ writing

    def mark_sent(self, pk: int, telegram_message_id: int, now: datetime) -> bool:
        """Record a sent message; its digest is ``sent`` once all its messages are.

        False if the message was no longer pending (nothing changes then).
        """
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(outbox)
                .where(outbox.c.pk == pk, outbox.c.status == "pending")
                .values(
                    status="sent", telegram_message_id=telegram_message_id, sent_at=now, error=None
                )
            ).rowcount
            if not changed:
                return False
            unsent = (
                select(outbox.c.pk)
                .where(outbox.c.digest_pk == digests.c.pk, outbox.c.status != "sent")
                .exists()
            )
            conn.execute(
                update(digests)
                .where(
                    digests.c.pk
                    == select(outbox.c.digest_pk).where(outbox.c.pk == pk).scalar_subquery(),
                    digests.c.status == "pending",
                    ~unsent,
                )
                .values(status="sent", finished_at=now)
            )
            return True

    def mark_retry(
        self,
        pk: int,
        not_before: datetime,
        error: str,
        *,
        attempt: bool = True,
        failed_at: datetime | None = None,
    ) -> None:
        """Try the message again at ``not_before``; ``attempt`` counts a failed attempt
        (a flood wait does not), and the first one, at ``failed_at``, is remembered.
        The sender's claim ends."""
        values: dict[str, Any] = {
            "not_before": not_before,
            "error": _cut(error),
            "claimed_by": None,  # when it is due again, any process may send it
            "claim_until": None,
        }
        if attempt:
            values["attempts"] = outbox.c.attempts + 1
            if failed_at is not None:
                values["first_error_at"] = func.coalesce(
                    outbox.c.first_error_at, literal(failed_at, UTCDateTime())
                )
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.pk == pk, outbox.c.status == "pending")
                .values(**values)
            )

    def mark_failed(self, pk: int, error: str, now: datetime | None = None) -> None:
        """Give up on one message: it and its digest are ``failed``, and an ``error``
        event is recorded for its chat."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(
                select(outbox.c.digest_pk, outbox.c.chat_id).where(
                    outbox.c.pk == pk, outbox.c.status == "pending"
                )
            ).first()
            if row is None:
                return
            conn.execute(
                update(outbox)
                .where(outbox.c.pk == pk)
                .values(status="failed", error=_cut(error), attempts=outbox.c.attempts + 1)
            )
            conn.execute(
                update(digests)
                .where(digests.c.pk == row.digest_pk, digests.c.status == "pending")
                .values(status="failed", finished_at=now)
            )
            _event(conn, row.chat_id, "error", error, now)

    def give_up(self, pk: int, error: str, now: datetime) -> int:
        """Stop trying a message its chat could not take in time: it and the rest of its
        digest fail, the digest's articles go back to the subscription's pool, and an
        ``error`` event says so. Returns the articles returned."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(outbox.c.digest_pk, outbox.c.chat_id, digests.c.subscription_pk)
                .join(digests, digests.c.pk == outbox.c.digest_pk)
                .where(outbox.c.pk == pk, outbox.c.status == "pending")
            ).first()
            if row is None:
                return 0
            conn.execute(
                update(outbox)
                .where(outbox.c.pk == pk)
                .values(status="failed", error=_cut(error), attempts=outbox.c.attempts + 1)
            )
            conn.execute(
                update(outbox)
                .where(outbox.c.digest_pk == row.digest_pk, outbox.c.status == "pending")
                .values(status="failed", error="not sent: an earlier part of the digest failed")
            )
            conn.execute(
                update(digests)
                .where(digests.c.pk == row.digest_pk, digests.c.status == "pending")
                .values(status="failed", finished_at=now)
            )
            returned = _return_articles(conn, [row.digest_pk])
            _event(
                conn,
                row.chat_id,
                "error",
                # What happened first: /stats shows the start of a detail.
                f"gave up; {returned} articles go back to subscription "
                f"#{row.subscription_pk} for its next digest: {error}",
                now,
            )
        return returned

    def deactivate_chat(self, chat_id: int, reason: str, now: datetime) -> int:
        """A permanent failure: the chat's active subscriptions stop with ``reason``, its
        pending messages (and their digests) fail, and those digests' articles go back
        to their subscriptions' pools, for when the chat is back. Returns the
        subscriptions stopped."""
        reason = _cut(reason)
        with self.engine.begin() as conn:
            stopped = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == chat_id, subscriptions.c.active.is_(True))
                .values(active=False, inactive_reason=reason, updated_at=now)
            ).rowcount
            pending_digests = list(
                conn.execute(
                    select(outbox.c.digest_pk)
                    .where(outbox.c.chat_id == chat_id, outbox.c.status == "pending")
                    .distinct()
                ).scalars()
            )
            if pending_digests:
                conn.execute(
                    update(digests)
                    .where(digests.c.pk.in_(pending_digests), digests.c.status == "pending")
                    .values(status="failed", finished_at=now)
                )
            conn.execute(
                update(outbox)
                .where(outbox.c.chat_id == chat_id, outbox.c.status == "pending")
                .values(status="failed", error=reason)
            )
            returned = _return_articles(conn, pending_digests)
            detail = f"{reason}; {returned} undelivered articles kept" if returned else reason
            _event(conn, chat_id, "deactivated", detail, now)
        return int(stopped)

    def migrate_chat(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        """A group became a supergroup: its subscriptions and pending messages move to
        the new chat id."""
        with self.engine.begin() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == old_chat_id)
                .values(chat_id=new_chat_id, chat_type="supergroup", updated_at=now)
            )
            conn.execute(
                update(outbox)
                .where(outbox.c.chat_id == old_chat_id, outbox.c.status == "pending")
                .values(chat_id=new_chat_id)
            )
            _event(
                conn,
                old_chat_id,
                "migrated",
                f"group {old_chat_id} became supergroup {new_chat_id}",
                now,
            )

    def record_event(self, chat_id: int, kind: str, detail: str, now: datetime) -> None:
        """Note an ``error`` or ``flood_wait`` of a chat (shown by ``/stats``)."""
        with self.engine.begin() as conn:
            _event(conn, chat_id, kind, detail, now)

    # -------------------------------------------------------------------- stats

    def stats(self, since: datetime, *, errors: int = 10, inactive: int = 20) -> OutboxStats:
        """Figures for ``/stats``: counts since ``since``, the latest error of the
        ``errors`` most recently failing chats, and up to ``inactive`` subscriptions
        switched off."""
        error_kinds = ("error", "deactivated")
        with self.engine.connect() as conn:

            def count(query: Select[Any]) -> int:
                return int(conn.execute(query).scalar_one())

            sent = count(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.status == "sent", outbox.c.sent_at >= since)
            )
            pending = count(
                select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
            )
            failed = count(
                select(func.count())
                .select_from(outbox.join(digests, digests.c.pk == outbox.c.digest_pk))
                .where(outbox.c.status == "failed", digests.c.created_at >= since)
            )
            flood = count(
                select(func.count())
                .select_from(chat_events)
                .where(chat_events.c.kind == "flood_wait", chat_events.c.at >= since)
            )
            latest = (
                select(func.max(chat_events.c.pk))
                .where(chat_events.c.kind.in_(error_kinds))
                .group_by(chat_events.c.chat_id)
            )
            error_rows = conn.execute(
                select(chat_events)
                .where(chat_events.c.pk.in_(latest))
                .order_by(chat_events.c.at.desc(), chat_events.c.pk.desc())
                .limit(errors)
            ).all()
            inactive_rows = conn.execute(
                select(subscriptions)
                .where(subscriptions.c.active.is_(False))
                .order_by(subscriptions.c.updated_at.desc(), subscriptions.c.pk.desc())
                .limit(inactive)
            ).all()
        return OutboxStats(
            sent=sent,
            pending=pending,
            failed=failed,
            flood_waits=flood,
            last_errors=tuple(ChatEvent(r.chat_id, r.at, r.kind, r.detail) for r in error_rows),
            inactive=tuple(
                InactiveSubscription(r.pk, r.chat_id, r.chat_title, r.inactive_reason, r.updated_at)
                for r in inactive_rows
            ),
        )

    def events(self, chat_id: int | None = None, kind: str | None = None) -> list[ChatEvent]:
        """Chat events, oldest first (for ``subs list``, tests and debugging)."""
        query = select(chat_events).order_by(chat_events.c.pk)
        if chat_id is not None:
            query = query.where(chat_events.c.chat_id == chat_id)
        if kind is not None:
            query = query.where(chat_events.c.kind == kind)
        with self.engine.connect() as conn:
            return [ChatEvent(r.chat_id, r.at, r.kind, r.detail) for r in conn.execute(query)]


def _event(conn: Connection, chat_id: int, kind: str, detail: str, now: datetime) -> None:
    conn.execute(
        insert(chat_events).values(at=now, chat_id=chat_id, kind=kind, detail=_cut(detail))
    )


def _return_articles(conn: Connection, digest_pks: Collection[int]) -> int:
    """The articles of these (failed) digests are no longer delivered: each
    subscription's cursor moves back to before the oldest of them, so its next digest
    offers them again (a subscription's first digest leaves it without a cursor, so the
    next is a first digest again). Returns how many articles went back."""
    returned = 0
    for digest_pk in sorted(digest_pks):
        row = conn.execute(
            select(
                delivered.c.subscription_pk,
                func.count(),
                func.min(articles.c.ingest_seq),
            )
            .join(articles, articles.c.pk == delivered.c.article_pk)
            .where(delivered.c.digest_pk == digest_pk)
            .group_by(delivered.c.subscription_pk)
        ).first()
        if row is None:
            continue
        subscription_pk, count, oldest = row
        conn.execute(delete(delivered).where(delivered.c.digest_pk == digest_pk))
        earlier = conn.execute(
            select(func.count())
            .select_from(digests)
            .where(
                digests.c.subscription_pk == subscription_pk,
                digests.c.pk < digest_pk,
                digests.c.status.in_(("pending", "sent", "empty")),
            )
        ).scalar_one()
        # A first digest chose from a look-back window, not from ingests since a cursor:
        # its retry is a first digest again, rather than every article of those ingests.
        conn.execute(
            update(subscriptions)
            .where(
                subscriptions.c.pk == subscription_pk,
                subscriptions.c.cursor_seq.is_not(None),
                subscriptions.c.cursor_seq >= oldest,
            )
            .values(cursor_seq=oldest - 1 if earlier else None)
        )
        returned += int(count)
    return returned
