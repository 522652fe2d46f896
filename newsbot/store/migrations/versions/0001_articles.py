"""Articles, tags, seed file bookkeeping and the n-gram search index.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(16), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("summary_generated", sa.Boolean, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("published", sa.DateTime),
        sa.Column("published_offset", sa.Integer),
        sa.Column("published_precision", sa.String(8), nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("editor", sa.Text),
        sa.Column("breadcrumb", sa.Text, nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("title_norm", sa.Text, nullable=False),
        sa.Column("sort_at", sa.DateTime, nullable=False),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
    )
    op.create_index("ix_articles_sort_at", "articles", ["sort_at", "pk"])
    op.create_table(
        "tags",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("article_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_tags_count", "tags", ["article_count"])
    op.create_table(
        "article_tags",
        sa.Column(
            "article_pk",
            sa.Integer,
            sa.ForeignKey("articles.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "tag_pk", sa.Integer, sa.ForeignKey("tags.pk", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sort_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_article_tags_tag_sort", "article_tags", ["tag_pk", "sort_at", "article_pk"])
    op.create_table(
        "seed_files",
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("raw_hash", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "seed_origins",
        sa.Column("origin", sa.Text, primary_key=True),
        sa.Column(
            "article_pk",
            sa.Integer,
            sa.ForeignKey("articles.pk", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("ix_seed_origins_article", "seed_origins", ["article_pk"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE article_search ("
            " article_pk INTEGER PRIMARY KEY REFERENCES articles(pk) ON DELETE CASCADE,"
            " grams TEXT[] NOT NULL, title_grams TEXT[] NOT NULL)"
        )
        op.execute("CREATE INDEX ix_article_search_grams ON article_search USING gin (grams)")
        op.execute("CREATE INDEX ix_article_search_title ON article_search USING gin (title_grams)")
    else:
        # Contentless FTS5 over space-separated grams; detail=none keeps it small, since
        # a gram's presence is all the search needs.
        op.execute(
            "CREATE VIRTUAL TABLE article_fts USING fts5(grams, content='', columnsize=0,"
            " detail=none, tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE title_fts USING fts5(grams, content='', columnsize=0,"
            " detail=none, tokenize='unicode61 remove_diacritics 0')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE article_search")
    else:
        op.execute("DROP TABLE title_fts")
        op.execute("DROP TABLE article_fts")
    for table in ("seed_origins", "seed_files", "article_tags", "tags", "articles"):
        op.drop_table(table)
