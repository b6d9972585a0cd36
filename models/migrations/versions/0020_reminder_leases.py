"""a reminder's claim carries its clock and a lease, so a clock killed mid-reminder loses nothing

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 22:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("reminder_claimed_by", sa.String(length=100), nullable=True))
        batch.add_column(
            sa.Column("reminder_lease_until", models.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_checkins_reminder_lease", "checkins", ["reminder_lease_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_checkins_reminder_lease", table_name="checkins")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("reminder_lease_until")
        batch.drop_column("reminder_claimed_by")
