"""hand-overs: commitments that need a new owner and the hand-overs asking for one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 12:56:56.677357
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("was_champion", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("opened_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ask_user_id", sa.String(length=32), nullable=True),
        sa.Column("ask_claimed_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ask_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ask_error", sa.String(length=200), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("closed_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_handovers_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_handovers_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handovers_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_handovers_open_person",
            ["account_id", "person_id"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_owner_since", models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_column("needs_owner_since")

    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_handovers_open_person",
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_handovers_account_id"))

    op.drop_table("handovers")
