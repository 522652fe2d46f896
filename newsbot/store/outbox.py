"""The outbox: messages waiting to be sent, what was sent, and what went wrong (all SQL).

A digest's messages are inserted in the same transaction that records the digest
(``insert_messages``); the deliverer then sends them in order per chat and records
Telegram's message id after each one, so a crash repeats at most the message that
was in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from newsbot.store.schema import chat_events, digests, outbox, subscriptions

__all__ = [
    "ChatEvent",
    "InactiveSubscription",
    "OutboxMessage",
    "OutboxStats",
    "OutboxStore",
    "insert_messages",
]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    pk: int
    digest_pk: int
    chat_id: int
    chat_type: str
    seq: int
    text: str
    attempts: int
    not_before: datetime


@dataclass(frozen=True, slots=True)
class ChatEvent:
    chat_id: int
    at: datetime
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class InactiveSubscription:
    subscription_id: int
    chat_id: int
    reason: str | None


@dataclass(frozen=True, slots=True)
class OutboxStats:
    sent: int
    pending: int
    failed: int
    flood_waits: int
    last_errors: tuple[ChatEvent, ...]
    inactive: tuple[InactiveSubscription, ...]


def insert_messages(
    conn: Connection, digest_pk: int, chat_id: int, texts: Sequence[str], now: datetime
) -> None:
    """Queue a digest's messages, in order (inside the caller's transaction)."""
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


class OutboxStore:
    """Every query the deliverer needs; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def due(self, now: datetime, limit: int = 500) -> tuple[list[OutboxMessage], datetime | None]:
        """The next message of each chat, if it is due; and when the next one falls due.

        Only a chat's oldest pending message is ever offered, so a chat's messages go
        out in order even when one of them waits for a retry.
        """
        query = (
            select(outbox, subscriptions.c.chat_type)
            .join(digests, digests.c.pk == outbox.c.digest_pk)
            .join(subscriptions, subscriptions.c.pk == digests.c.subscription_pk)
            .where(outbox.c.status == "pending")
            .order_by(outbox.c.pk)
            .limit(limit)
        )
        seen: set[int] = set()
        ready: list[OutboxMessage] = []
        later: datetime | None = None
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                if row.chat_id in seen:
                    continue
                seen.add(row.chat_id)
                if row.not_before > now:
                    later = row.not_before if later is None else min(later, row.not_before)
                    continue
                ready.append(
                    OutboxMessage(
                        row.pk,
                        row.digest_pk,
                        row.chat_id,
                        row.chat_type,
                        row.seq,
                        row.text,
                        row.attempts,
                        row.not_before,
                    )
                )
        return ready, later

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
                ).scalar_one()
            )

    def mark_sent(self, pk: int, telegram_message_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.pk == pk)
                .values(status="sent", telegram_message_id=telegram_message_id, sent_at=now)
            )
            digest_pk = conn.execute(
                select(outbox.c.digest_pk).where(outbox.c.pk == pk)
            ).scalar_one()
            unsent = conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.digest_pk == digest_pk, outbox.c.status != "sent")
            ).scalar_one()
            if unsent == 0:
                conn.execute(
                    update(digests)
                    .where(digests.c.pk == digest_pk)
                    .values(status="sent", finished_at=now)
                )

    def mark_retry(self, pk: int, not_before: datetime, error: str, *, attempt: bool) -> None:
        """Try again at ``not_before``; ``attempt`` counts it against the attempt limit."""
        values: dict[str, object] = {"not_before": not_before, "error": error[:500]}
        if attempt:
            values["attempts"] = outbox.c.attempts + 1
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.pk == pk).values(**values))

    def mark_failed(self, pk: int, error: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(outbox.c.digest_pk, outbox.c.chat_id).where(outbox.c.pk == pk)
            ).one()
            conn.execute(
                update(outbox)
                .where(outbox.c.pk == pk)
                .values(status="failed", error=error[:500], attempts=outbox.c.attempts + 1)
            )
            conn.execute(
                update(digests)
                .where(digests.c.pk == row.digest_pk)
                .values(status="failed", finished_at=now)
            )
            self._event(conn, row.chat_id, "error", error, now)

    def deactivate_chat(self, chat_id: int, reason: str, now: datetime) -> None:
        """A permanent failure: the chat's subscriptions stop, with the reason shown."""
        with self.engine.begin() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == chat_id, subscriptions.c.active.is_(True))
                .values(active=False, inactive_reason=reason[:300], updated_at=now)
            )
            pending = select(outbox.c.digest_pk).where(
                outbox.c.chat_id == chat_id, outbox.c.status == "pending"
            )
            conn.execute(
                update(digests)
                .where(digests.c.pk.in_(pending))
                .values(status="failed", finished_at=now)
            )
            conn.execute(
                update(outbox)
                .where(outbox.c.chat_id == chat_id, outbox.c.status == "pending")
                .values(status="failed", error=reason[:500])
            )
            self._event(conn, chat_id, "deactivated", reason, now)

    def migrate_chat(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        """A group became a supergroup: its subscriptions and queued messages move along."""
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
            self._event(conn, old_chat_id, "migrated", f"now {new_chat_id}", now)

    def record_event(self, chat_id: int, kind: str, detail: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            self._event(conn, chat_id, kind, detail, now)

    def _event(self, conn: Connection, chat_id: int, kind: str, detail: str, now: datetime) -> None:
        conn.execute(
            insert(chat_events).values(at=now, chat_id=chat_id, kind=kind, detail=detail[:500])
        )

    def stats(self, since: datetime) -> OutboxStats:
        with self.engine.connect() as conn:

            def count(*where: object) -> int:
                return int(
                    conn.execute(
                        select(func.count()).select_from(outbox).where(and_(*where))
                    ).scalar_one()  # type: ignore[arg-type]
                )

            flood = conn.execute(
                select(func.count())
                .select_from(chat_events)
                .where(chat_events.c.kind == "flood_wait", chat_events.c.at >= since)
            ).scalar_one()
            errors = conn.execute(
                select(chat_events)
                .where(chat_events.c.kind.in_(["error", "deactivated"]))
                .order_by(chat_events.c.pk.desc())
                .limit(10)
            )
            inactive = conn.execute(
                select(subscriptions.c.pk, subscriptions.c.chat_id, subscriptions.c.inactive_reason)
                .where(subscriptions.c.active.is_(False))
                .order_by(subscriptions.c.pk)
                .limit(20)
            )
            return OutboxStats(
                sent=count(outbox.c.status == "sent", outbox.c.sent_at >= since),
                pending=count(outbox.c.status == "pending"),
                failed=count(outbox.c.status == "failed"),
                flood_waits=int(flood),
                last_errors=tuple(ChatEvent(e.chat_id, e.at, e.kind, e.detail) for e in errors),
                inactive=tuple(
                    InactiveSubscription(r.pk, r.chat_id, r.inactive_reason) for r in inactive
                ),
            )
