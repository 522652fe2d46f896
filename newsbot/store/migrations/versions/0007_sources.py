"""Live sources, the pages fetched from them, and their hosts' robots.txt files.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from newsbot.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pattern", sa.Text),
        sa.Column("interval_minutes", sa.Integer, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("full_page", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("checked_at", UTCDateTime),
        sa.Column("ok_at", UTCDateTime),
        sa.Column("next_at", UTCDateTime),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("paused_reason", sa.Text),
        sa.Column("pages", sa.Integer, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "fetched_pages",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column(
            "source_pk",
            sa.Integer,
            sa.ForeignKey("sources.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("final_url", sa.Text, nullable=False),
        sa.Column("seed_path", sa.Text, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("index_stamp", sa.Text),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_fetched_pages_source", "fetched_pages", ["source_pk"])
    op.create_table(
        "robots_files",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("body", sa.Text),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("robots_files")
    op.drop_index("ix_fetched_pages_source", table_name="fetched_pages")
    op.drop_table("fetched_pages")
    op.drop_table("sources")
