"""what the clock reads for weekly reviews, digests, pauses and vendor due dates: only what is due

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


def downgrade() -> None:
    op.drop_index("ix_commitments_side_status_due_on", table_name="commitments")
    op.drop_index("ix_commitments_paused_until", table_name="commitments")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_next_digest_at"))
        batch_op.drop_index(batch_op.f("ix_accounts_next_review_at"))
        batch_op.drop_column("next_digest_at")
        batch_op.drop_column("next_review_at")
