"""Outbox indexes: a digest's messages (is it all sent?) and a chat's messages.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_digest", "outbox", ["digest_pk"])
    op.create_index("ix_outbox_chat", "outbox", ["chat_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat", table_name="outbox")
    op.drop_index("ix_outbox_digest", table_name="outbox")
