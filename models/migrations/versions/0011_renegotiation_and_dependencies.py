"""renegotiation and dependencies: proposals to move a commitment, check-ins closed as renegotiated,
commitments waiting on others, and Blocked answers naming what held them up

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 07:27:19.894513
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STATES = ["due", "sending", "sent", "answered", "no_response", "skipped", "failed"]


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=32), nullable=False),
        sa.Column(
            "proposer_side",
            sa.Enum("customer", "vendor", name="side", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_due_on", sa.Date(), nullable=True),
        sa.Column("old_rrule", sa.Text(), nullable=True),
        sa.Column("old_local_time", sa.Time(), nullable=False),
        sa.Column("old_schedule_text", sa.String(length=200), nullable=False),
        sa.Column("new_due_on", sa.Date(), nullable=True),
        sa.Column("new_rrule", sa.Text(), nullable=True),
        sa.Column("new_local_time", sa.Time(), nullable=False),
        sa.Column("new_schedule_text", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("manager_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("manager_asked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("answered_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_proposals_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_proposals_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitments.id"], name=op.f("fk_proposals_commitment_id_commitments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_proposals_open_commitment",
            ["commitment_id"],
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        # A check-in state is checked against its list: the new "renegotiated" joins it.
        batch_op.drop_constraint(op.f("ck_checkins_checkinstate"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_checkins_checkinstate"), sa.column("state").in_([*STATES, "renegotiated"])
        )
        batch_op.add_column(sa.Column("blocked_by_commitment_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "charged_side",
                sa.Enum(
                    "customer", "vendor", name="side", native_enum=False, create_constraint=True, length=20
                ),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_checkins_blocked_by_commitment_id_commitments"),
            "commitments",
            ["blocked_by_commitment_id"],
            ["id"],
        )

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waits_on_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("renegotiations", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_commitments_waits_on_id_commitments"), "commitments", ["waits_on_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_commitments_waits_on_id_commitments"), type_="foreignkey")
        batch_op.drop_column("renegotiations")
        batch_op.drop_column("waits_on_id")

    op.execute("DELETE FROM proposals")
    op.execute("UPDATE checkins SET state = 'answered' WHERE state = 'renegotiated'")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_checkins_checkinstate"), type_="check")
        batch_op.create_check_constraint(op.f("ck_checkins_checkinstate"), sa.column("state").in_(STATES))
        batch_op.drop_constraint(
            batch_op.f("fk_checkins_blocked_by_commitment_id_commitments"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("ck_checkins_side"), type_="check")
        batch_op.drop_column("charged_side")
        batch_op.drop_column("blocked_by_commitment_id")

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_proposals_open_commitment",
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_proposals_account_id"))

    op.drop_table("proposals")
