"""Index the digest cursor: a digest reads only the articles of ingests since its last.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_ingest_seq", "articles", ["ingest_seq"])


def downgrade() -> None:
    op.drop_index("ix_articles_ingest_seq", table_name="articles")
