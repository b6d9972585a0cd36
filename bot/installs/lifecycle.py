"""A workspace leaving and coming back: Slack's `app_uninstalled` and `tokens_revoked` stop every send
for it at once (its tokens are forgotten, its data kept); a completed install starts or resumes it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot.installs import standing
from models import Tenant

log = logging.getLogger(__name__)


def installed(
    sessions: sessionmaker[Session], tenant: Tenant, *, team_name: str | None, now: datetime
) -> None:
    standing.record_install(sessions, tenant, team_name=team_name, now=now)
    log.info("installed in %s", tenant)


def uninstalled(
    sessions: sessionmaker[Session], store: InstallationStore, tenant: Tenant, *, reason: str, now: datetime
) -> None:
    """Stop first, then forget the revoked tokens: nothing is sent for the workspace from here on."""
    standing.stop(sessions, tenant, reason=reason, now=now)
    team_id = None if tenant.is_enterprise_install else tenant.team_id
    store.delete_installation(enterprise_id=tenant.enterprise_id, team_id=team_id)
    store.delete_bot(enterprise_id=tenant.enterprise_id, team_id=team_id)
    log.info("%s for %s: sends stopped, data kept", reason, tenant)


def bot_tokens_revoked(event: dict[str, Any]) -> bool:
    """`tokens_revoked` names user tokens and bot tokens; only losing the bot token stops sends."""
    tokens = event.get("tokens")
    return isinstance(tokens, dict) and bool(tokens.get("bot"))
