"""indexes to place a Slack Connect customer's click: people by user, check-ins by conversation

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_people_user_id"), "people", ["user_id"], unique=False)
    op.create_index(op.f("ix_checkins_channel_id"), "checkins", ["channel_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_checkins_channel_id"), table_name="checkins")
    op.drop_index(op.f("ix_people_user_id"), table_name="people")
