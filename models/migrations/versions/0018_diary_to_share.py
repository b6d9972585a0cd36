"""what the clock reads to share the diary: the entries still to share, not every entry ever written

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diary_to_share",
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("diary_entries.id"), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("occurred_at", models.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_diary_to_share_occurred", "diary_to_share", ["occurred_at", "entry_id"], unique=False)
    # Every public entry whose copy is not posted yet (never claimed, or claimed and still in flight).
    op.execute(
        """
        INSERT INTO diary_to_share (entry_id, team_id, enterprise_id, account_id, occurred_at)
        SELECT e.id, e.team_id, e.enterprise_id, e.account_id, e.occurred_at
        FROM diary_entries e LEFT JOIN diary_shares s ON s.entry_id = e.id
        WHERE e.private = false AND (s.entry_id IS NULL OR s.message_ts IS NULL)
        """
    )
    op.create_index(
        "ix_diary_shares_unposted",
        "diary_shares",
        ["claimed_at"],
        unique=False,
        postgresql_where=sa.text("message_ts IS NULL"),
        sqlite_where=sa.text("message_ts IS NULL"),
    )

    op.create_index("ix_people_away_until", "people", ["away_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_people_away_until", table_name="people")
    op.drop_index("ix_diary_shares_unposted", table_name="diary_shares")
    op.drop_index("ix_diary_to_share_occurred", table_name="diary_to_share")
    op.drop_table("diary_to_share")
