"""The shared send budget: recent send stamps per window and pauses after 429s.

Several instances keep Telegram's limits together through these tables when
``delivery.shared_limits`` is ``database`` (see ``newsbot/store/budget.py``). They
hold seconds of state only: nothing to carry over, nothing to fill.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_stamps",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("claim", sa.String(32), primary_key=True),
        sa.Column("stamp", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
    )
    op.create_index("ix_budget_stamps_expires", "budget_stamps", ["expires"])
    op.create_index("ix_budget_stamps_key_stamp", "budget_stamps", ["key", "stamp"])
    op.create_table(
        "budget_pauses",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("until", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("budget_pauses")
    op.drop_index("ix_budget_stamps_key_stamp", table_name="budget_stamps")
    op.drop_index("ix_budget_stamps_expires", table_name="budget_stamps")
    op.drop_table("budget_stamps")
