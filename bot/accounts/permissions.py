"""Who may do what: least privilege, as promised to both sides."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.mrkdwn import escape
from models import Account


@dataclass(frozen=True)
class Actor:
    """The person behind a request, as the installation sees them.

    `team_id` and `enterprise_id` are the installation's (the vendor's), never the payload's: a
    customer acting from their own organisation is still scoped to the vendor's accounts, as an
    outsider (`is_external`) who can only do what a customer may do.
    """

    user_id: str
    team_id: str
    enterprise_id: str | None
    is_admin: bool
    # From another organisation (Slack Connect), a guest, or a stranger to this workspace: a customer.
    is_external: bool
    # The person's IANA zone when known, so "today" in a command is their today.
    tz: str | None = None


def may_create_accounts(actor: Actor) -> bool:
    return not actor.is_external


def may_manage(actor: Actor, account: Account) -> bool:
    if actor.is_external or account.team_id != actor.team_id:
        return False
    return actor.is_admin or actor.user_id == account.csm_user_id


def manage_refusal(account: Account) -> str:
    return (
        f"Only <@{account.csm_user_id}>, the CSM of {escape(account.name)}, or an accountability admin can "
        f"change {escape(account.name)}. Ask them, or ask an admin to make the change."
    )


CREATE_REFUSAL = "Only people of the vendor's own organisation can create accounts."

CUSTOMER_REFUSAL = (
    "Customers answer their check-ins, agree to their plan and read their account's diary "
    "(`/accountability diary <Account>`, `export <Account>`, `policy <Account>`); managing accounts "
    "is for the vendor's team."
)
