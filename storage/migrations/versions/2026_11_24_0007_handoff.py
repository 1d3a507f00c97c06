"""handoff status: the leader's choice for a developmental handoff, and when they shared it

handoffs gains `status` (offered | agenda | shared | private | withdrawn; existing rows take
their kind where it names a choice, else private), `shared_at`, and an index on booking_id
for a session's agenda items.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "status IN ('offered', 'agenda', 'shared', 'private', 'withdrawn')"


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="offered", nullable=False)
        )
        batch_op.add_column(
            sa.Column("shared_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE handoffs SET status = CASE WHEN kind IN ('agenda', 'shared', 'private') "
        "THEN kind ELSE 'private' END"
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_handoffs_status_valid"), STATUSES)
        batch_op.create_index(batch_op.f("ix_handoffs_booking_id"), ["booking_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_booking_id"))
        batch_op.drop_constraint(op.f("ck_handoffs_status_valid"), type_="check")
        batch_op.drop_column("shared_at")
        batch_op.drop_column("status")
