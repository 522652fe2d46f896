"""A commit-ordered ingest sequence: the digest cursor, and the lock that serialises ingests.

Every ingest transaction first takes the next number of ``ingest_sequence`` (a row
lock, held until it commits) and stamps the articles it adds with it; a digest
remembers the number it has considered up to (``subscriptions.cursor_seq``).
Existing articles are numbered by their primary key; existing cursors (a time)
become the highest number ingested by then.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_sequence",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.add_column(
        "articles", sa.Column("ingest_seq", sa.BigInteger, nullable=False, server_default="0")
    )
    op.add_column("subscriptions", sa.Column("cursor_seq", sa.BigInteger))
    op.execute("UPDATE articles SET ingest_seq = pk")
    op.execute("INSERT INTO ingest_sequence (pk, seq) SELECT 1, COALESCE(MAX(pk), 0) FROM articles")
    op.execute(
        "UPDATE subscriptions SET cursor_seq = (SELECT COALESCE(MAX(a.ingest_seq), 0)"
        " FROM articles a WHERE a.ingested_at <= subscriptions.cursor_at)"
        " WHERE cursor_at IS NOT NULL"
    )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both databases (SQLite >= 3.35): a batch copy of
    # ``articles`` would drop the old table and cascade-delete its tags.
    op.execute("ALTER TABLE subscriptions DROP COLUMN cursor_seq")
    op.execute("ALTER TABLE articles DROP COLUMN ingest_seq")
    op.drop_table("ingest_sequence")
