"""next checkin bound

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:24:15.298046
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_checkin_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_commitments_next_checkin_at"), ["next_checkin_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitments_next_checkin_at"))
        batch_op.drop_column("next_checkin_at")
