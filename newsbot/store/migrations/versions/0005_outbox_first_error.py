"""When a message first failed to send: transient failures are retried for a window from it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("first_error_at", sa.DateTime))


def downgrade() -> None:
    op.execute("ALTER TABLE outbox DROP COLUMN first_error_at")
