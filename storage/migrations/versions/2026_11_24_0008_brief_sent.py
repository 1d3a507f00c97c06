"""brief sent: when the coach's pre-session brief of a booking's current version was queued

bookings gains `brief_sent_at`. A brief covers what the leader shared since the previous
session's brief; items shared after the last brief can still be withdrawn.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("brief_sent_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("brief_sent_at")
