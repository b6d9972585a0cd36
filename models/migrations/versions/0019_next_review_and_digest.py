"""what an idle clock pass reads: only what is due, however many accounts, commitments and weeks

Each account's next weekly review and digest instant, and indexes for ended pauses, passed vendor due
dates, escalation posts to retry, plans awaiting an answer, and review and digest claims left behind.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 22:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_review_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_digest_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_accounts_next_review_at"), ["next_review_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_next_digest_at"), ["next_digest_at"], unique=False)
    # Existing accounts start at None, which means "look": the clock's first pass works out each
    # account's next review and digest from its settings and its champion's zone (zoneinfo, in Python)
    # and stores them; from then on it reads only the accounts whose instant has come.
    op.create_index("ix_commitments_paused_until", "commitments", ["paused_until"], unique=False)
    op.create_index(
        "ix_commitments_side_status_due_on", "commitments", ["side", "status", "due_on"], unique=False
    )
    op.create_index("ix_escalations_post_pending", "escalations", ["post_pending"], unique=False)
    op.create_index("ix_escalations_unposted", "escalations", ["message_ts", "post_claimed_at"], unique=False)
    op.create_index(
        "ix_agreements_awaiting",
        "agreements",
        ["account_id"],
        unique=False,
        sqlite_where=sa.text("response IS NULL AND reminded_at IS NULL"),
        postgresql_where=sa.text("response IS NULL AND reminded_at IS NULL"),
    )
    op.create_index(
        "ix_weekly_reviews_state_claimed_at", "weekly_reviews", ["state", "claimed_at"], unique=False
    )
    op.create_index("ix_digests_state_claimed_at", "digests", ["state", "claimed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_digests_state_claimed_at", table_name="digests")
    op.drop_index("ix_weekly_reviews_state_claimed_at", table_name="weekly_reviews")
    op.drop_index("ix_agreements_awaiting", table_name="agreements")
    op.drop_index("ix_escalations_unposted", table_name="escalations")
    op.drop_index("ix_escalations_post_pending", table_name="escalations")
    op.drop_index("ix_commitments_side_status_due_on", table_name="commitments")
    op.drop_index("ix_commitments_paused_until", table_name="commitments")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_next_digest_at"))
        batch_op.drop_index(batch_op.f("ix_accounts_next_review_at"))
        batch_op.drop_column("next_digest_at")
        batch_op.drop_column("next_review_at")
