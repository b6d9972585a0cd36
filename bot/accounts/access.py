"""Who may see, manage and answer what: least privilege, as promised to both sides.

Managing an account is for its CSM and admins of the vendor's own organisation. Reading it is for the
people on it, and admins — no one reads another account's. Customers on the account (its champion,
owners of its customer commitments) read its diary, export and policy, without the vendor's private
notes; the vendor's people on it also see its listing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import Refusal
from bot.slack.mrkdwn import escape
from models import Account, Commitment, Person


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


def members(session: Session, account: Account) -> set[str]:
    owners = session.scalars(
        select(Person.user_id)
        .join(Commitment, Commitment.owner_id == Person.id)
        .where(Commitment.account_id == account.id)
    )
    people = {account.csm_user_id, account.champion_user_id, *owners}
    if account.manager_user_id:
        people.add(account.manager_user_id)
    return people


def may_view(session: Session, actor: Actor, account: Account) -> bool:
    if account.team_id != actor.team_id:
        return False
    return actor.is_admin or actor.user_id in members(session, account)


def may_list(session: Session, actor: Actor, account: Account) -> bool:
    """`list <Account>` shows the vendor's working view: its CSM, manager, admins and vendor owners."""
    return not actor.is_external and may_view(session, actor, account)


def sees_private(actor: Actor) -> bool:
    """Private notes are the vendor's own; a customer reading the diary never sees them."""
    return not actor.is_external


def view_refusal(account: Account) -> str:
    return (
        f"Only the people on {escape(account.name)} (its CSM <@{account.csm_user_id}>, champion, manager and commitment "
        "owners) and accountability admins can read its diary."
    )


def list_refusal(account: Account) -> str:
    return (
        f"Only {escape(account.name)}'s CSM <@{account.csm_user_id}>, its manager, the vendor's owners of its "
        "commitments and accountability admins can list it."
    )


def not_found(name: str) -> Refusal:
    """What an outsider hears about an account they are not on: the same as for no account at all,
    so one customer cannot learn the names of the vendor's other customers."""
    return Refusal(f"There is no account called “{escape(name)}” that you are part of.")
