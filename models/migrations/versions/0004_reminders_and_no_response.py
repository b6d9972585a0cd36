"""reminders and no response

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:28:49.097798
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remind_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closes_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("snoozes", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_checkins_closes_at"), ["closes_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_remind_at"), ["remind_at"], unique=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_reminded_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("last_reminded_at")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_remind_at"))
        batch_op.drop_index(batch_op.f("ix_checkins_closes_at"))
        batch_op.drop_column("snoozes")
        batch_op.drop_column("closes_at")
        batch_op.drop_column("remind_at")
