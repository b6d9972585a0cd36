"""Where installations live: slack_sdk's installation and OAuth state tables, and each workspace's
standing (installed, or uninstalled and so silent).

The `slack_*` tables are slack_sdk's `SQLAlchemyInstallationStore` / `SQLAlchemyOAuthStateStore` layout
(same names and columns, so the stock stores read and write them), declared here so Alembic owns them
with the rest of the schema. Token columns are wider than slack_sdk's 200 characters: they hold
Fernet ciphertexts, about 2.5 times the token's length. slack_sdk writes naive UTC datetimes there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base
from models.types import UTCDateTime

TOKEN = 1000  # a Fernet ciphertext of a Slack token (rotating tokens run to ~170 characters)

slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(TOKEN)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(TOKEN)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(TOKEN)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(TOKEN)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, server_default=func.now()),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(TOKEN)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(TOKEN)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, server_default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class WorkspaceInstall(Base):
    """A workspace (or, for an org-wide install, an Enterprise Grid organisation) that installed the app.

    `uninstalled_at` is set when Slack says the app was uninstalled or its bot token revoked: the clock
    and the listeners then leave it alone, its data is kept, and a reinstall clears it.
    """

    __tablename__ = "workspace_installs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "T…" for a workspace install, "E…" for an org-wide one: what the tenant filter keys on.
    tenant_key: Mapped[str] = mapped_column(String(SLACK_ID), unique=True)
    team_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    team_name: Mapped[str | None] = mapped_column(String(200))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uninstall_reason: Mapped[str | None] = mapped_column(String(40))
