"""clock processes share each workspace's chat.postMessage pace

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_paces",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("next_slot", sa.Double(), nullable=False),
        sa.Column("paused_until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_workspace_paces")),
    )


def downgrade() -> None:
    op.drop_table("workspace_paces")
