"""time off, answer changes and the at-risk lifecycle: away periods, per-person holidays, why a check-in was
skipped, answers closed to change, at-risk cleared with a reason, autopsy participants and sign-offs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 08:07:55.244009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "autopsy_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("autopsy_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("signed_off_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["autopsy_id"], ["autopsies.id"], name=op.f("fk_autopsy_participants_autopsy_id_autopsies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopsy_participants")),
        sa.UniqueConstraint("autopsy_id", "user_id", name=op.f("uq_autopsy_participants_autopsy_id_user_id")),
    )
    with op.batch_alter_table("autopsy_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_autopsy_participants_autopsy_id"), ["autopsy_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("risk_cleared_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("risk_cleared_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("risk_cleared_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skip_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("answer_change_closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("away_until", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("away_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("away_source", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("away_told", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("holiday_country", sa.String(length=8), nullable=True))

    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("away_words", sa.Text(), nullable=True))
    # Every check-in skipped before this revision was skipped because the bot was down.
    op.execute("UPDATE checkins SET skip_reason = 'down' WHERE state = 'skipped'")


def downgrade() -> None:

    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.drop_column("away_words")

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("holiday_country")
        batch_op.drop_column("away_told")
        batch_op.drop_column("away_source")
        batch_op.drop_column("away_reason")
        batch_op.drop_column("away_until")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("answer_change_closed")
        batch_op.drop_column("skip_reason")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("risk_cleared_reason")
        batch_op.drop_column("risk_cleared_by")
        batch_op.drop_column("risk_cleared_at")

    with op.batch_alter_table("autopsy_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_autopsy_participants_autopsy_id"))

    op.drop_table("autopsy_participants")
