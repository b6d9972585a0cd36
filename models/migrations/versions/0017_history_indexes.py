"""indexes so an idle clock pass costs the same however much answered history there is

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_checkins_answer_change_open",
        "checkins",
        ["answer_change_closed", "state", "answered_at"],
        unique=False,
    )
    op.create_index("ix_checkins_unevaluated", "checkins", ["evaluated", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_checkins_unevaluated", table_name="checkins")
    op.drop_index("ix_checkins_answer_change_open", table_name="checkins")
