"""Who may do what: least privilege, as promised to both sides."""

from __future__ import annotations

from dataclasses import dataclass

from models import Account


@dataclass(frozen=True)
class Actor:
    """The person behind a request, as Slack vouched for them."""

    user_id: str
    team_id: str
    enterprise_id: str | None
    is_admin: bool
    # From another organisation (Slack Connect) or a stranger to this workspace: a customer.
    is_external: bool


def may_create_accounts(actor: Actor) -> bool:
    return actor.is_admin or not actor.is_external


def may_manage(actor: Actor, account: Account) -> bool:
    if actor.is_external:
        return False
    return actor.is_admin or actor.user_id == account.csm_user_id


def manage_refusal(account: Account) -> str:
    return (
        f"Only <@{account.csm_user_id}>, the CSM of {account.name}, or an accountability admin can "
        f"change {account.name}. Ask them, or ask an admin to make the change."
    )


CREATE_REFUSAL = (
    "Only people on the vendor's side of the workspace, or accountability admins, can create accounts."
)
