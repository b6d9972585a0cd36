"""clock leases on check-in claims, and one heartbeat row per clock process

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch.add_column(
            sa.Column("claim_expires_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "clock_heartbeats",
        sa.Column("clock_id", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=64), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_pass_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_as_of", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("clock_id", name=op.f("pk_clock_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("clock_heartbeats")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("claim_expires_at")
        batch.drop_column("claimed_by")
