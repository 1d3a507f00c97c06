"""slack installations (encrypted bot tokens) and stopped workspaces

One slack_installations row per workspace that installed the app through OAuth; its bot token
is Fernet-encrypted at rest (EncryptedText) and cleared when the workspace is stopped (token
revoked, app uninstalled). slack_workspaces gains stopped_at / stopped_reason: nothing is sent
to a stopped workspace until the app is installed again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("team_name", sa.String(length=200), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=False),
        sa.Column("bot_token", storage.types.EncryptedText(), nullable=True),
        sa.Column("bot_scopes", sa.Text(), nullable=False),
        sa.Column("installed_by_user_id", sa.String(length=32), nullable=False),
        sa.Column("installed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint("team_id", name=op.f("uq_slack_installations_team_id")),
    )
    with op.batch_alter_table("slack_workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stopped_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("stopped_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_workspaces", schema=None) as batch_op:
        batch_op.drop_column("stopped_reason")
        batch_op.drop_column("stopped_at")

    op.drop_table("slack_installations")
