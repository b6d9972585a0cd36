"""channel check-ins and weekly reviews: where each person's check-ins go, the weekly review and its answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 06:43:38.999751
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "weekly_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("posted_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_weekly_reviews_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_reviews")),
        sa.UniqueConstraint("account_id", "week_start", name=op.f("uq_weekly_reviews_account_id_week_start")),
    )
    with op.batch_alter_table("weekly_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weekly_reviews_account_id"), ["account_id"], unique=False)

    op.create_table(
        "review_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["weekly_reviews.id"], name=op.f("fk_review_answers_review_id_weekly_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answers")),
        sa.UniqueConstraint("review_id", "user_id", name=op.f("uq_review_answers_review_id_user_id")),
    )
    with op.batch_alter_table("review_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_answers_review_id"), ["review_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkin_delivery", sa.String(length=8), server_default="auto", nullable=False)
        )
        batch_op.add_column(sa.Column("review_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_time", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("review_enabled", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.String(length=8), nullable=True))
    # Every check-in sent before this revision went by DM.
    op.execute("UPDATE checkins SET place = 'dm' WHERE channel_id IS NOT NULL")

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_delivery", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("dm_retry_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("tz_unknown_told", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("tz_unknown_told")
        batch_op.drop_column("dm_retry_at")
        batch_op.drop_column("checkin_delivery")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("place")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("review_enabled")
        batch_op.drop_column("review_time")
        batch_op.drop_column("review_weekday")
        batch_op.drop_column("checkin_delivery")

    with op.batch_alter_table("review_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_answers_review_id"))

    op.drop_table("review_answers")
    with op.batch_alter_table("weekly_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weekly_reviews_account_id"))

    op.drop_table("weekly_reviews")
