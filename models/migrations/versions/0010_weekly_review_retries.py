"""weekly review retries: the instant a review was due, its attempts and back-off, and what the CSM was told

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("weekly_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("next_attempt_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("problem_told", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("weekly_reviews", schema=None) as batch_op:
        batch_op.drop_column("problem_told")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("due_at")
