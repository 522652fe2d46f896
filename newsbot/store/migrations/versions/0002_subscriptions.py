"""Subscriptions, digests, the outbox, delivered articles, audit log and chat events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("chat_type", sa.String(16), nullable=False),
        sa.Column("chat_title", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("include_words", sa.Text, nullable=False),
        sa.Column("exclude_words", sa.Text, nullable=False),
        sa.Column("times", sa.Text, nullable=False),
        sa.Column("weekdays_only", sa.Boolean, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("max_items", sa.Integer, nullable=False),
        sa.Column("show_summary", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("inactive_reason", sa.Text),
        sa.Column("cursor_at", sa.DateTime),
        sa.Column("created_by", sa.BigInteger),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_subscriptions_chat", "subscriptions", ["chat_id"])
    op.create_table(
        "digests",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_pk",
            sa.Integer,
            sa.ForeignKey("subscriptions.pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slot", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.UniqueConstraint("subscription_pk", "slot", name="uq_digests_slot"),
    )
    op.create_table(
        "outbox",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "digest_pk", sa.Integer, sa.ForeignKey("digests.pk", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", sa.DateTime, nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.Column("sent_at", sa.DateTime),
    )
    op.create_index("ix_outbox_pending", "outbox", ["status", "not_before", "pk"])
    op.create_table(
        "delivered",
        sa.Column(
            "subscription_pk",
            sa.Integer,
            sa.ForeignKey("subscriptions.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "article_pk",
            sa.Integer,
            sa.ForeignKey("articles.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "digest_pk", sa.Integer, sa.ForeignKey("digests.pk", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor_id", sa.BigInteger),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("subscription_pk", sa.Integer),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "chat_events",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_chat_events_at", "chat_events", ["at"])


def downgrade() -> None:
    for table in ("chat_events", "audit_log", "delivered", "outbox", "digests", "subscriptions"):
        op.drop_table(table)
