"""digests and workspace settings

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 13:31:22.281993
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("posted_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("attachments_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint(
            "team_id",
            "channel_id",
            "kind",
            "period_end",
            name=op.f("uq_digests_team_id_channel_id_kind_period_end"),
        ),
    )
    op.create_table(
        "workspace_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("digest_channel_id", sa.String(length=32), nullable=True),
        sa.Column("digest_weekday", sa.Integer(), nullable=False),
        sa.Column("digest_time", sa.Time(), nullable=False),
        sa.Column("digest_tz", sa.String(length=64), nullable=False),
        sa.Column("digest_chart", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_settings")),
        sa.UniqueConstraint("team_id", name=op.f("uq_workspace_settings_team_id")),
    )


def downgrade() -> None:
    op.drop_table("workspace_settings")
    op.drop_table("digests")
