"""Which installation a conversation belongs to, for requests whose payload names another organisation.

In a Slack Connect channel a customer acts with their own team ID: a click or a form from them names
their organisation, which has not installed the app (or has installed it for accounts of its own). The
installation they act in is the one that owns the conversation: the vendor whose account's shared,
escalation or digest channel it is, or, in a DM with the bot, the installation that tracks that person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from models import Account, CheckIn, Person, Tenant, WorkspaceInstall, acting_for

Owner = tuple[str, str | None]  # (team_id, enterprise_id) of the rows found


def conversation_owner(
    sessions: sessionmaker[Session], *, channel_id: str | None, user_id: str | None
) -> Tenant | None:
    """The installation owning the conversation, or None when no single one does (the payload's own
    team then decides, as Bolt would)."""
    if not channel_id:
        return None
    with acting_for(None), sessions() as session:

        def owners_of(statement: Any) -> set[Owner]:
            return {(row[0], row[1]) for row in session.execute(statement)}

        owners = owners_of(
            select(Account.team_id, Account.enterprise_id).where(
                or_(
                    Account.shared_channel_id == channel_id,
                    Account.escalation_channel_id == channel_id,
                    Account.digest_channel_id == channel_id,
                )
            )
        )
        if not owners and channel_id.startswith("D") and user_id:
            owners = owners_of(select(Person.team_id, Person.enterprise_id).where(Person.user_id == user_id))
            if len(owners) > 1:  # a customer of two vendors: the DM's own check-ins say whose it is
                owners = owners_of(
                    select(CheckIn.team_id, CheckIn.enterprise_id).where(CheckIn.channel_id == channel_id)
                )
        if len(owners) != 1:
            return None
        ((team_id, enterprise_id),) = owners
        org_wide = enterprise_id is not None and bool(
            session.scalar(
                select(WorkspaceInstall.is_enterprise_install).where(
                    WorkspaceInstall.tenant_key == enterprise_id,
                    WorkspaceInstall.is_enterprise_install.is_(True),
                )
            )
        )
    return Tenant(team_id=team_id, enterprise_id=enterprise_id, is_enterprise_install=org_wide)
