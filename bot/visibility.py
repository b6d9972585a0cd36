"""Who may read an account's diary: the people on it, and admins — no one reads another account's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.permissions import Actor
from models import Account, Commitment, Person


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
    return actor.is_admin or actor.user_id in members(session, account)


def view_refusal(account: Account) -> str:
    return (
        f"Only the people on {account.name} (its CSM <@{account.csm_user_id}>, champion, manager and commitment "
        "owners) and accountability admins can read its diary."
    )
