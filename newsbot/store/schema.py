"""The database schema (SQLAlchemy Core). Migrations in ``migrations/`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
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
)

__all__ = [
    "UTCDateTime",
    "article_tags",
    "articles",
    "metadata",
    "seed_files",
    "seed_origins",
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
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
    Index("ix_articles_sort_at", "sort_at", "pk"),
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
