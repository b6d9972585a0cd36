"""delivery retries: check-ins retried with back-off, escalation posts retried, pass errors recorded

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_problem", sa.String(length=200), nullable=True))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("post_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("post_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("post_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("post_claimed_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("post_problem_reported", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("clock_passes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("errors", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clock_passes", schema=None) as batch_op:
        batch_op.drop_column("errors")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("post_problem_reported")
        batch_op.drop_column("post_claimed_at")
        batch_op.drop_column("post_attempts")
        batch_op.drop_column("post_error")
        batch_op.drop_column("post_pending")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("delivery_problem")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
