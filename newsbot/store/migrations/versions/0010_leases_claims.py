"""Several instances on one database: the leader's lease, outbox claims, handled updates.

``leases`` holds one row per thing a single process may do at a time (``leader``:
poll Telegram and run the schedule), with the holder and when its hold lapses.
``outbox.claimed_by``/``claim_until``: the process sending a message holds it until
then, so each message is sent by one process. ``handled_updates``: the update ids
already handled, so an update delivered twice (webhooks behind a load balancer, a
poll repeated after a crash) is handled once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from newsbot.store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.add_column("outbox", sa.Column("claimed_by", sa.String(128)))
    op.add_column("outbox", sa.Column("claim_until", UTCDateTime))
    op.create_table(
        "handled_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_handled_updates_at", "handled_updates", ["at"])


def downgrade() -> None:
    op.drop_index("ix_handled_updates_at", table_name="handled_updates")
    op.drop_table("handled_updates")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_until")
        batch.drop_column("claimed_by")
    op.drop_table("leases")
