"""support: the organisation's support resources and safeguarding contact (risk replies)

`organisations.support_resources` is a JSON list of {name, kind, contact, locales, countries,
hours}; `safeguarding_email` names the roster person told about a risk event, by
`safeguarding_policy` (ask | always | never). Existing organisations get no resources and
the policy 'never'.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "support_resources", sa.JSON(), server_default=sa.text("'[]'"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("safeguarding_email", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column(
                "safeguarding_policy", sa.String(length=8), server_default="never", nullable=False
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_organisations_safeguarding_policy_valid"),
            "safeguarding_policy IN ('ask', 'always', 'never')",
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organisations_safeguarding_policy_valid"), type_="check")
        batch_op.drop_column("safeguarding_policy")
        batch_op.drop_column("safeguarding_email")
        batch_op.drop_column("support_resources")
