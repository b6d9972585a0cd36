"""shared diary threads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:41:59.167359
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "diary_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_diary_threads_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_threads")),
        sa.UniqueConstraint("account_id", "week_start", name=op.f("uq_diary_threads_account_id_week_start")),
    )
    op.create_table(
        "diary_shares",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["diary_entries.id"], name=op.f("fk_diary_shares_entry_id_diary_entries")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["diary_threads.id"], name=op.f("fk_diary_shares_thread_id_diary_threads")
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_diary_shares")),
    )


def downgrade() -> None:

    op.drop_table("diary_shares")
    op.drop_table("diary_threads")
