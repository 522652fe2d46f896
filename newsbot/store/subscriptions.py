"""Subscriptions, their audit log, and building digests into the outbox (all SQL)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from newsbot.models import Article, Filters, Subscription, SubscriptionSpec
from newsbot.store.grams import normalize, plan_query
from newsbot.store.schema import (
    article_tags,
    articles,
    audit_log,
    delivered,
    digests,
    ingest_sequence,
    subscriptions,
    tags,
)
from newsbot.store.search import grams_match

__all__ = ["FIRST_DIGEST_LOOK_BACK", "Actor", "AuditEntry", "DigestRecord", "SubscriptionStore"]

RenderDigest = Callable[[Sequence[Article]], list[str]]
"""Turns the chosen articles into messages; [] means send nothing. The articles carry
no body (digests show titles and summaries)."""

FIRST_DIGEST_LOOK_BACK = timedelta(days=1)
"""How far a first digest looks back from the newest article, unless told otherwise."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a subscription: a Telegram user, or the server's CLI (id None)."""

    id: int | None
    name: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    chat_id: int
    subscription_id: int | None
    action: str
    detail: str


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """A digest recorded in the outbox: ``messages`` were queued for ``chat_id``."""

    id: int
    subscription_id: int
    chat_id: int
    slot: datetime
    items: int
    messages: int


def _spec_columns(spec: SubscriptionSpec) -> dict[str, Any]:
    return {
        "tags": json.dumps(list(spec.filters.tags), ensure_ascii=False),
        "include_words": json.dumps(list(spec.filters.include), ensure_ascii=False),
        "exclude_words": json.dumps(list(spec.filters.exclude), ensure_ascii=False),
        "times": json.dumps(list(spec.times)),
        "weekdays_only": spec.weekdays_only,
        "timezone": spec.timezone,
        "max_items": spec.max_items,
        "show_summary": spec.show_summary,
    }


def _describe(spec: SubscriptionSpec) -> str:
    return json.dumps(_spec_columns(spec), ensure_ascii=False, sort_keys=True)


def _to_subscription(row: Row[Any]) -> Subscription:
    spec = SubscriptionSpec(
        filters=Filters(
            tuple(json.loads(row.tags)),
            tuple(json.loads(row.include_words)),
            tuple(json.loads(row.exclude_words)),
        ),
        times=tuple(json.loads(row.times)),
        weekdays_only=bool(row.weekdays_only),
        timezone=row.timezone,
        max_items=row.max_items,
        show_summary=bool(row.show_summary),
    )
    return Subscription(
        id=row.pk,
        chat_id=row.chat_id,
        chat_type=row.chat_type,
        chat_title=row.chat_title,
        spec=spec,
        language=row.language,
        active=bool(row.active),
        inactive_reason=row.inactive_reason,
        cursor_at=row.cursor_at,
        created_at=row.created_at,
        created_by=row.created_by,
    )


class SubscriptionStore:
    """Subscriptions of chats; every change is written to the audit log in the same step."""

    def __init__(
        self, engine: Engine, to_articles: Callable[[Connection, Sequence[Row[Any]]], list[Article]]
    ) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._to_articles = to_articles

    # ------------------------------------------------------------ reading

    def get(self, subscription_id: int) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.pk == subscription_id)
            ).first()
            return _to_subscription(row) if row else None

    def for_chat(self, chat_id: int) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subscriptions)
                .where(subscriptions.c.chat_id == chat_id)
                .order_by(subscriptions.c.pk)
            )
            return [_to_subscription(r) for r in rows]

    def all(self, *, active_only: bool = False) -> list[Subscription]:
        query = select(subscriptions).order_by(subscriptions.c.pk)
        if active_only:
            query = query.where(subscriptions.c.active.is_(True))
        with self.engine.connect() as conn:
            return [_to_subscription(r) for r in conn.execute(query)]

    def of_type(self, chat_type: str, created_by: int | None = None) -> list[Subscription]:
        """Subscriptions of chats of ``chat_type`` (those ``created_by`` a user, if given)."""
        query = (
            select(subscriptions)
            .where(subscriptions.c.chat_type == chat_type)
            .order_by(subscriptions.c.pk)
        )
        if created_by is not None:
            query = query.where(subscriptions.c.created_by == created_by)
        with self.engine.connect() as conn:
            return [_to_subscription(r) for r in conn.execute(query)]

    def count_created_by(self, user_id: int, chat_type: str) -> int:
        """How many subscriptions of chats of ``chat_type`` the user created (for caps)."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(
                        subscriptions.c.created_by == user_id,
                        subscriptions.c.chat_type == chat_type,
                    )
                ).scalar_one()
            )

    def audit(self, chat_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.pk.desc()).limit(limit)
        if chat_id is not None:
            query = query.where(audit_log.c.chat_id == chat_id)
        with self.engine.connect() as conn:
            return [
                AuditEntry(r.at, r.actor, r.chat_id, r.subscription_pk, r.action, r.detail)
                for r in conn.execute(query)
            ]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subscriptions.c.active, func.count()).group_by(subscriptions.c.active)
            )
            by_state = {bool(r[0]): int(r[1]) for r in rows}
        return {"active": by_state.get(True, 0), "inactive": by_state.get(False, 0)}

    def has_digest(self, subscription_id: int, slot: datetime) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(digests.c.pk).where(
                        digests.c.subscription_pk == subscription_id, digests.c.slot == slot
                    )
                ).first()
                is not None
            )

    # ------------------------------------------------------------ changing

    def create(
        self,
        *,
        chat_id: int,
        chat_type: str,
        chat_title: str,
        spec: SubscriptionSpec,
        language: str,
        actor: Actor,
        now: datetime,
    ) -> Subscription:
        with self.engine.begin() as conn:
            inserted = conn.execute(
                insert(subscriptions).values(
                    chat_id=chat_id,
                    chat_type=chat_type,
                    chat_title=chat_title,
                    language=language,
                    active=True,
                    inactive_reason=None,
                    cursor_at=None,
                    created_by=actor.id,
                    created_at=now,
                    updated_at=now,
                    **_spec_columns(spec),
                )
            ).inserted_primary_key
            assert inserted is not None
            pk = int(inserted[0])
            self._audit(conn, actor, chat_id, pk, "subscribe", _describe(spec), now)
            row = conn.execute(select(subscriptions).where(subscriptions.c.pk == pk)).one()
        return _to_subscription(row)

    def change(
        self, subscription_id: int, spec: SubscriptionSpec, actor: Actor, now: datetime
    ) -> Subscription:
        """New settings; a deactivated subscription that is changed becomes active again."""
        with self.engine.begin() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.pk == subscription_id)
                .values(updated_at=now, active=True, inactive_reason=None, **_spec_columns(spec))
            )
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.pk == subscription_id)
            ).one()
            self._audit(conn, actor, row.chat_id, subscription_id, "set", _describe(spec), now)
        return _to_subscription(row)

    def remove(self, subscription_id: int, actor: Actor, now: datetime) -> Subscription | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.pk == subscription_id)
            ).first()
            if row is None:
                return None
            conn.execute(delete(subscriptions).where(subscriptions.c.pk == subscription_id))
            self._audit(conn, actor, row.chat_id, subscription_id, "unsubscribe", row.tags, now)
        return _to_subscription(row)

    def _audit(
        self,
        conn: Connection,
        actor: Actor,
        chat_id: int,
        subscription_id: int | None,
        action: str,
        detail: str,
        now: datetime,
    ) -> None:
        conn.execute(
            insert(audit_log).values(
                at=now,
                actor_id=actor.id,
                actor=actor.name,
                chat_id=chat_id,
                subscription_pk=subscription_id,
                action=action,
                detail=detail,
            )
        )

    # ------------------------------------------------------------ digests

    def candidates(
        self,
        subscription: Subscription,
        now: datetime | None = None,
        look_back: timedelta = FIRST_DIGEST_LOOK_BACK,
    ) -> list[Article]:
        """What the next digest would hold: undelivered matches, newest first, up to its
        size (``now`` and ``look_back`` as for :meth:`create_digest`)."""
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            cursor = conn.execute(
                select(subscriptions.c.cursor_seq).where(subscriptions.c.pk == subscription.id)
            ).scalar()
            upto = _ingested_upto(conn)
            rows = self._candidate_rows(subscription, conn, cursor, upto, now, look_back)
            return self._to_articles(conn, rows)

    def _candidate_rows(
        self,
        subscription: Subscription,
        conn: Connection,
        cursor: int | None,
        upto: int,
        now: datetime,
        look_back: timedelta,
    ) -> list[Row[Any]]:
        """Matches from the ingests after ``cursor`` up to ``upto``; with no cursor (the
        first digest), the news of ``look_back`` before the newest article.

        Two plans, each reading a bounded range of one index and checking the filters
        on its rows, never the whole store. The first digest walks ``ix_articles_sort_at``
        down from the newest article to ``look_back`` before it (the newest article up
        to ``now``, so one dated in the future cannot move the window): tags and
        delivery are checked on the row (EXISTS), words and excluded words on its text
        (exactly what the gram index answers; a window's text is cheaper than the
        index's matches over the whole store). Later digests read only the ingests
        since the last one, a short range of ``ix_articles_ingest_seq``; there words
        are looked up in the gram index from the range's first pk on, and excluded
        words on the text of the newest matches only. Either way rows are fetched
        without their (large) body and text: digests show titles and summaries.
        """
        spec = subscription.spec
        names = [n for n in (normalize(t).strip() for t in spec.filters.tags) if n]
        plan = plan_query(list(spec.filters.include))
        excluded_terms = [t for t in (normalize(w).strip() for w in spec.filters.exclude) if t]
        params = {"subscription_pk": subscription.id, "tag_names": names}
        pg = self.dialect == "postgresql"
        tagged = [_TAGGED_PER_ROW if pg else _TAGGED] if spec.filters.tags else []

        def in_text(term: str) -> ColumnElement[bool]:
            # strpos on PostgreSQL: LIKE reads UTF-8 a character at a time, 3x slower
            if pg:
                return func.strpos(articles.c.search_text, term) > 0
            return articles.c.search_text.contains(term, autoescape=True)

        excluded = [~in_text(term) for term in excluded_terms]
        newest = (articles.c.sort_at.desc(), articles.c.pk.desc())
        # Conditions go cheapest first (SQLite checks them in the order given): the index
        # range, tags, the gram index, delivery, and last the text.
        if cursor is None:
            anchor = conn.execute(
                select(func.max(articles.c.sort_at)).where(articles.c.sort_at <= now)
            ).scalar()
            # No "ingest_seq <= upto" here: the column lies past the text on disk, so
            # checking it reads every row's text. An ingest committing meanwhile may
            # have articles in this digest; the next one does not repeat them (delivered).
            words = [] if plan is None else plan.terms
            row_checks: list[Any] = [*tagged, _NOT_DELIVERED]
            text_checks = [*(in_text(t) for t in words), *excluded]
            if pg and tagged and text_checks:
                # PostgreSQL orders a row's checks by its cost estimates and reads every
                # row's text (13 µs) before probing its tags (5 µs); CASE keeps that order.
                row_checks = [_NOT_DELIVERED, case((tagged[0], and_(*text_checks)), else_=false())]
                text_checks = []
            picked = (
                select(articles.c.pk)
                .where(
                    articles.c.sort_at >= (anchor or now) - look_back,
                    *row_checks,
                    *text_checks,
                )
                .order_by(*newest)
                .limit(spec.max_items)
            )
            return list(
                conn.execute(
                    select(*_LISTED).where(articles.c.pk.in_(picked)).order_by(*newest), params
                )
            )
        if cursor >= upto:
            return []  # nothing ingested since the last digest
        in_range = [articles.c.ingest_seq > cursor, articles.c.ingest_seq <= upto]
        conditions: list[Any] = [*in_range, *tagged]
        confirm: list[str] = []
        if plan is not None:  # the gram index lookup, bounded to the new articles
            min_pk, new = conn.execute(
                select(func.min(articles.c.pk), func.count()).where(*in_range)
            ).one()
            if min_pk is None:
                return []
            if pg and new <= TEXT_RANGE:
                confirm = list(plan.terms)
            else:
                conditions.append(
                    grams_match(self.dialect, articles.c.pk, plan.grams, min_pk=min_pk)
                )
                confirm = list(plan.confirm)
        conditions.append(_NOT_DELIVERED)
        conditions += [in_text(t) for t in confirm]
        if not excluded:
            picked = (
                select(articles.c.pk).where(*conditions).order_by(*newest).limit(spec.max_items)
            )
            return list(
                conn.execute(
                    select(*_LISTED).where(articles.c.pk.in_(picked)).order_by(*newest), params
                )
            )
        # Excluded words need each article's text: read it only for the newest
        # matches, a few at a time (their rows come along), until the digest is full.
        ordered = list(
            conn.execute(
                select(articles.c.pk).where(*conditions).order_by(*newest), params
            ).scalars()
        )
        kept: dict[int, Row[Any]] = {}
        step = spec.max_items + 5
        for start in range(0, len(ordered), step):
            chunk = ordered[start : start + step]
            rows = conn.execute(select(*_LISTED).where(articles.c.pk.in_(chunk), *excluded))
            kept.update((row.pk, row) for row in rows)
            if len(kept) >= spec.max_items:
                break
        return [kept[pk] for pk in ordered if pk in kept][: spec.max_items]

    def create_digest(
        self,
        subscription: Subscription,
        slot: datetime,
        kind: str,
        render: RenderDigest,
        now: datetime,
        look_back: timedelta = FIRST_DIGEST_LOOK_BACK,
    ) -> DigestRecord | None:
        """Choose, render and queue a digest in one transaction.

        The first digest of a subscription holds the news of ``look_back`` before the
        newest article (recent news, not the archive); later ones what was ingested
        since the one before.

        Returns None when this slot already has a digest (a slot is delivered once,
        whatever restarts happen). Chosen articles count as delivered from here on.
        """
        from newsbot.store.outbox import insert_messages

        try:
            with self.engine.begin() as conn:
                # The ingest number is read before the candidates: an ingest
                # committing meanwhile has a higher one, so the next digest offers it.
                current = conn.execute(_CURRENT, {"subscription_pk": subscription.id}).first()
                if current is None or not current.active:
                    return None
                subscription = _to_subscription(current)
                upto = int(current.upto)
                rows = self._candidate_rows(
                    subscription, conn, current.cursor_seq, upto, now, look_back
                )
                chosen = self._to_articles(conn, rows)
                texts = render(chosen) if chosen else render([])
                inserted = conn.execute(
                    _NEW_DIGEST,
                    {
                        "subscription_pk": subscription.id,
                        "slot": slot,
                        "kind": kind,
                        "status": "pending" if texts else "empty",
                        "items": len(chosen),
                        "created_at": now,
                        "finished_at": None if texts else now,
                    },
                ).inserted_primary_key
                assert inserted is not None
                digest_pk = int(inserted[0])
                if chosen:
                    conn.execute(
                        _DELIVERED,
                        [
                            {
                                "subscription_pk": subscription.id,
                                "article_pk": row.pk,
                                "digest_pk": digest_pk,
                            }
                            for row in rows
                        ],
                    )
                if texts:
                    insert_messages(conn, digest_pk, subscription.chat_id, texts, now)
                conn.execute(
                    _MOVE_CURSOR, {"subscription": subscription.id, "at": now, "seq": upto}
                )
        except IntegrityError:
            return None  # another process recorded this slot first
        return DigestRecord(
            digest_pk, subscription.id, subscription.chat_id, slot, len(chosen), len(texts)
        )

    def skip_slot(self, subscription: Subscription, slot: datetime, now: datetime) -> bool:
        """Record a slot as skipped (missed beyond the grace period); False if it exists."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(digests).values(
                        subscription_pk=subscription.id,
                        slot=slot,
                        kind="skipped",
                        status="skipped",
                        items=0,
                        created_at=now,
                        finished_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True


# The statements of a digest build, made once: a build is a few milliseconds, and
# making them each time was a good part of it. Values come as named parameters.

_LISTED = (
    *(
        c
        for c in articles.c
        if c.name
        not in ("body", "search_text", "fingerprint", "content_hash", "title_norm", "updated_at")
    ),
    literal("").label("body"),
)
"""What a digest lists of an article: not its body and text, the large columns, nor the
store's bookkeeping."""

_NOT_DELIVERED = ~exists().where(
    delivered.c.subscription_pk == bindparam("subscription_pk"),
    delivered.c.article_pk == articles.c.pk,
)
_TAGGED = exists().where(
    article_tags.c.article_pk == articles.c.pk,
    article_tags.c.tag_pk.in_(
        select(tags.c.pk).where(tags.c.name.in_(bindparam("tag_names", expanding=True)))
    ),
)
# PostgreSQL makes the EXISTS above a join and, for a popular tag, hashes every article
# of the tag (90,000 rows at 1M articles) to check the few rows of a window; OFFSET 0
# keeps it a probe of article_tags' primary key per row (21 ms -> 2 ms at 1M).
_TAGGED_PER_ROW = exists(
    select(literal(1))
    .where(
        article_tags.c.article_pk == articles.c.pk,
        article_tags.c.tag_pk.in_(
            select(tags.c.pk).where(tags.c.name.in_(bindparam("tag_names", expanding=True)))
        ),
    )
    .offset(0)
)
# Words checked on the text of the new articles rather than looked up in the gram
# index, up to this many (PostgreSQL: GIN cannot bound a common gram's posting list to
# the new pks, so the lookup reads it whole; a text is checked in about 10 µs).
TEXT_RANGE = 2000
_UPTO = (
    select(ingest_sequence.c.seq).where(ingest_sequence.c.pk == 1).scalar_subquery().label("upto")
)
_CURRENT = select(subscriptions, _UPTO).where(subscriptions.c.pk == bindparam("subscription_pk"))
_NEW_DIGEST = insert(digests)
_DELIVERED = insert(delivered)
_MOVE_CURSOR = (
    update(subscriptions)
    .where(subscriptions.c.pk == bindparam("subscription"))
    .values(cursor_at=bindparam("at"), cursor_seq=bindparam("seq"))
)


def _ingested_upto(conn: Connection) -> int:
    """The number of the last committed ingest: every article numbered up to it is visible
    (ingests hold the sequence row until they commit, so they commit in number order)."""
    return int(
        conn.execute(select(ingest_sequence.c.seq).where(ingest_sequence.c.pk == 1)).scalar_one()
    )
