"""The database schema (SQLAlchemy Core). Migrations in ``migrations/`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

__all__ = [
    "UTCDateTime",
    "article_tags",
    "articles",
    "audit_log",
    "chat_events",
    "delivered",
    "digests",
    "fetched_pages",
    "handled_updates",
    "ingest_sequence",
    "leases",
    "metadata",
    "outbox",
    "robots_files",
    "seed_files",
    "seed_origins",
    "sources",
    "subscriptions",
    "tags",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every database."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(16), nullable=False, unique=True),
    Column("fingerprint", String(64), nullable=False, unique=True),  # title + body identity
    Column("content_hash", String(64), nullable=False),  # every field: detects edits
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("summary_generated", Boolean, nullable=False),
    Column("source", Text),
    Column("published", UTCDateTime),
    Column("published_offset", Integer),  # minutes east of UTC, as the page said
    Column("published_precision", String(8), nullable=False),
    Column("author", Text),
    Column("editor", Text),
    Column("breadcrumb", Text, nullable=False),  # JSON list
    Column("keywords", Text, nullable=False),  # JSON list
    Column("url", Text),
    Column("title_norm", Text, nullable=False),
    Column("sort_at", UTCDateTime, nullable=False),  # published, else first ingest
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("body", Text, nullable=False),  # paragraphs joined by a blank line
    Column("search_text", Text, nullable=False),  # normalised title, summary and body
    Column("ingest_seq", BigInteger, nullable=False),  # the ingest that added it (0004)
    Index("ix_articles_sort_at", "sort_at", "pk"),
    Index("ix_articles_ingest_seq", "ingest_seq"),  # digest candidates (0006)
)

ingest_sequence = Table(
    "ingest_sequence",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),  # one row, pk 1
    Column("seq", BigInteger, nullable=False),  # the last ingest committed (or running)
)

tags = Table(
    "tags",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("article_count", Integer, nullable=False, default=0),  # kept by the store
    Index("ix_tags_count", "article_count"),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_pk", Integer, ForeignKey("articles.pk", ondelete="CASCADE"), primary_key=True),
    Column("tag_pk", Integer, ForeignKey("tags.pk", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("sort_at", UTCDateTime, nullable=False),  # copy of articles.sort_at for /tag order
    Index("ix_article_tags_tag_sort", "tag_pk", "sort_at", "article_pk"),
)

seed_files = Table(
    "seed_files",
    metadata,
    Column("path", Text, primary_key=True),
    Column("raw_hash", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("records", Integer, nullable=False),  # articles the file carried
    Column("ingested_at", UTCDateTime, nullable=False),
)

seed_origins = Table(
    "seed_origins",
    metadata,
    Column("origin", Text, primary_key=True),  # a file path, or path#line for JSON records
    Column("article_pk", Integer, ForeignKey("articles.pk", ondelete="CASCADE"), nullable=False),
    Index("ix_seed_origins_article", "article_pk"),
)

# ---------------------------------------------------------------- subscriptions and delivery

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("chat_type", String(16), nullable=False),  # private, group, supergroup, channel
    Column("chat_title", Text, nullable=False),
    Column("tags", Text, nullable=False),  # JSON list: any of
    Column("include_words", Text, nullable=False),  # JSON list: all of
    Column("exclude_words", Text, nullable=False),  # JSON list: none of
    Column("times", Text, nullable=False),  # JSON list of "HH:MM", local to timezone
    Column("weekdays_only", Boolean, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("max_items", Integer, nullable=False),
    Column("show_summary", Boolean, nullable=False),
    Column("language", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("inactive_reason", Text),
    Column("cursor_at", UTCDateTime),  # when the last digest considered articles
    Column("cursor_seq", BigInteger),  # ... those of ingests up to this number (0004)
    Column("created_by", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_subscriptions_chat", "chat_id"),
    sqlite_autoincrement=True,  # a deleted subscription's id is never given again (0009)
)

digests = Table(
    "digests",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_pk",
        Integer,
        ForeignKey("subscriptions.pk", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("slot", UTCDateTime, nullable=False),  # the scheduled time, or when asked for
    Column("kind", String(16), nullable=False),  # scheduled, catchup, manual, skipped
    Column("status", String(16), nullable=False),  # pending, sent, failed, empty, skipped
    Column("items", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("subscription_pk", "slot", name="uq_digests_slot"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("digest_pk", Integer, ForeignKey("digests.pk", ondelete="CASCADE"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("telegram_message_id", BigInteger),
    Column("error", Text),
    Column("first_error_at", UTCDateTime),  # first failed attempt: starts the retry window
    Column("sent_at", UTCDateTime),
    # A process sending the message holds it until claim_until (migration 0010); a claim
    # whose process died lapses, and another process takes the message over.
    Column("claimed_by", String(128)),
    Column("claim_until", UTCDateTime),
    Index("ix_outbox_pending", "status", "not_before", "pk"),
    Index("ix_outbox_digest", "digest_pk"),  # migration 0003
    Index("ix_outbox_chat", "chat_id", "status"),  # migration 0003
)

delivered = Table(
    "delivered",
    metadata,
    Column(
        "subscription_pk",
        Integer,
        ForeignKey("subscriptions.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("article_pk", Integer, ForeignKey("articles.pk", ondelete="CASCADE"), primary_key=True),
    Column("digest_pk", Integer, ForeignKey("digests.pk", ondelete="CASCADE"), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", BigInteger),  # Telegram user id, None for the server CLI
    Column("actor", Text, nullable=False),  # readable: @name, or "cli"
    Column("chat_id", BigInteger, nullable=False),
    Column("subscription_pk", Integer),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)

chat_events = Table(
    "chat_events",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # error, flood_wait, deactivated, migrated
    Column("detail", Text, nullable=False),
    Index("ix_chat_events_at", "at"),
)

# ---------------------------------------------------------------- live sources (0010)

sources = Table(
    "sources",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # auto, feed, sitemap, list
    Column("pattern", Text),  # a list page's link pattern
    Column("interval_minutes", Integer, nullable=False),
    Column("tags", Text, nullable=False),  # JSON list given to every article
    Column("full_page", Boolean, nullable=False),  # fetch the article page, or trust the item
    Column("origin", String(16), nullable=False),  # config, cli, telegram
    Column("added_by", Text, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("etag", Text),  # the index's validators, for a conditional GET
    Column("last_modified", Text),
    Column("checked_at", UTCDateTime),  # the last round that fetched the index
    Column("ok_at", UTCDateTime),  # ... and the last that succeeded
    Column("next_at", UTCDateTime),  # when the next round is due
    Column("failures", Integer, nullable=False),  # consecutive failed rounds
    Column("last_error", Text),  # one line, from the last failed round
    Column("paused_reason", Text),  # set after repeated failures; cleared by a success
    Column("pages", Integer, nullable=False),  # pages stored in all
    sqlite_autoincrement=True,  # a removed source's id is never given to another
)

fetched_pages = Table(
    "fetched_pages",
    metadata,
    Column("url", Text, primary_key=True),  # as the index gave it
    Column("source_pk", Integer, ForeignKey("sources.pk", ondelete="CASCADE"), nullable=False),
    Column("final_url", Text, nullable=False),  # after redirects: the article's link
    Column("seed_path", Text, nullable=False),  # relative to the seed folder
    Column("etag", Text),
    Column("last_modified", Text),
    Column("index_stamp", Text),  # the entry's date in the index: a change means re-fetch
    Column("fetched_at", UTCDateTime, nullable=False),
    Index("ix_fetched_pages_source", "source_pk"),
)

robots_files = Table(
    "robots_files",
    metadata,
    Column("url", Text, primary_key=True),  # an origin's /robots.txt
    Column("body", Text),  # None: the origin has none (everything allowed)
    Column("fetched_at", UTCDateTime, nullable=False),
)

# Coordination between instances (migration 0010).
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),  # what is held, e.g. "leader"
    Column("holder", String(128), nullable=False),  # host:pid:random of the holding process
    Column("expires_at", UTCDateTime, nullable=False),  # renewed every few seconds
)

handled_updates = Table(
    "handled_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),  # pruned after a day
    Index("ix_handled_updates_at", "at"),
)
