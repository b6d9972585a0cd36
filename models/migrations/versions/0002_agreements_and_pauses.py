"""agreements and pauses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:06:06.371931
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commitment_ids", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("reminded_at", models.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreed_at", models.types.UTCDateTime(timezone=True), nullable=True))
    # Commitments made before agreements existed were already being checked on: keep them running.
    op.execute("UPDATE commitments SET agreed_at = created_at WHERE agreed_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_column("agreed_at")

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("commitment_ids")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("plan_version")
