"""escalation episodes and autopsies

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:59:58.622603
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "autopsies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("causes", sa.Text(), nullable=False),
        sa.Column("other_cause", sa.Text(), nullable=True),
        sa.Column("corrective_commitment_ids", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_autopsies_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"], ["escalations.id"], name=op.f("fk_autopsies_escalation_id_escalations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopsies")),
    )
    with op.batch_alter_table("autopsies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_autopsies_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy", sa.Text(), nullable=True))

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluated", sa.Boolean(), server_default=sa.false(), nullable=False))

    # Check-ins closed before the rules existed are history, not news: nothing escalates on upgrade.
    op.execute(sa.text("UPDATE checkins SET evaluated = :done").bindparams(done=True))

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("episode_key", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.create_index(
            "uq_escalations_open_episode",
            ["account_id", "episode_key"],
            unique=True,
            sqlite_where=sa.text("state != 'resolved'"),
            postgresql_where=sa.text("state != 'resolved'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_index(
            "uq_escalations_open_episode",
            sqlite_where=sa.text("state != 'resolved'"),
            postgresql_where=sa.text("state != 'resolved'"),
        )
        batch_op.drop_column("episode_key")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("evaluated")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("policy")

    with op.batch_alter_table("autopsies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_autopsies_account_id"))

    op.drop_table("autopsies")
