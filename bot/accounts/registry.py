"""Creating and finding accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.access import (
    CREATE_REFUSAL,
    Actor,
    manage_refusal,
    may_create_accounts,
    may_manage,
    may_view,
    not_found,
    view_refusal,
)
from bot.accounts.plan_version import stop_customer_checkins
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.review.schedule import review_words, set_review
from bot.slack.mrkdwn import escape
from models import Account

MAX_OUTCOME = 1000


@dataclass(frozen=True)
class AccountAdd:
    name: str
    shared_channel_id: str
    escalation_channel_id: str
    champion_user_id: str
    csm_user_id: str | None = None
    manager_user_id: str | None = None
    digest_channel_id: str | None = None
    desired_outcome: str | None = None
    holiday_country: str | None = None
    reminder_count: int = 1
    # "dm", "channel" or "auto" (see `bot/checkins/delivery.py`).
    checkin_delivery: str = "auto"
    # "off", or "<weekday> <HH:MM>" in the champion's zone; None: the default (Friday 15:00).
    review: str | None = None


@dataclass(frozen=True)
class AccountEdit:
    name: str
    # Only the options given; None for manager/digest/holidays means "clear it".
    changes: tuple[tuple[str, str | None], ...]


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def find_account(session: Session, *, team_id: str, name: str) -> Account:
    account = session.scalar(
        select(Account).where(Account.team_id == team_id, Account.name_key == name_key(name))
    )
    if account is None:
        raise Refusal(
            f"There is no account called “{escape(name)}”. Create it with `/accountability account add {escape(name)} …`, "
            "or check the spelling."
        )
    return account


def find_readable_account(session: Session, *, actor: Actor, name: str) -> Account:
    """The account for a read (diary, export, policy), if this person may read it.

    An outsider hears "no such account" for accounts they are not on, never whose they are.
    """
    try:
        account = find_account(session, team_id=actor.team_id, name=name)
    except Refusal:
        if actor.is_external:
            raise not_found(name) from None
        raise
    if not may_view(session, actor, account):
        raise not_found(name) if actor.is_external else Refusal(view_refusal(account))
    return account


def create_account(session: Session, command: AccountAdd, *, actor: Actor, now: datetime) -> Account:
    if not may_create_accounts(actor):
        raise Refusal(CREATE_REFUSAL)
    key = name_key(command.name)
    if session.scalar(select(Account.id).where(Account.team_id == actor.team_id, Account.name_key == key)):
        raise Refusal(f"An account called “{escape(command.name)}” already exists. Choose another name.")
    if command.shared_channel_id == command.escalation_channel_id:
        raise Refusal(
            "The shared channel and the escalation channel must differ: escalations are for the vendor's "
            "team, the shared channel is read by the customer too."
        )
    account = Account(
        team_id=actor.team_id,
        enterprise_id=actor.enterprise_id,
        name=command.name,
        name_key=key,
        shared_channel_id=command.shared_channel_id,
        escalation_channel_id=command.escalation_channel_id,
        digest_channel_id=command.digest_channel_id,
        csm_user_id=command.csm_user_id or actor.user_id,
        champion_user_id=command.champion_user_id,
        manager_user_id=command.manager_user_id,
        desired_outcome=command.desired_outcome,
        holiday_country=command.holiday_country,
        reminder_count=command.reminder_count,
        checkin_delivery=command.checkin_delivery,
        at_risk=False,
        created_by=actor.user_id,
        created_at=now,
    )
    if command.review is not None:
        set_review(account, command.review)
    session.add(account)
    session.flush()
    outcome = f" Desired Outcome: {escape(account.desired_outcome)}" if account.desired_outcome else ""
    diary.record(
        session,
        account=account,
        kind="account_created",
        text=f"Account created with <@{account.champion_user_id}> as champion and <@{account.csm_user_id}> "
        f"as CSM.{outcome}",
        at=now,
        actor_user_id=actor.user_id,
    )
    return account


EDITABLE = {
    "channel": "shared_channel_id",
    "escalations": "escalation_channel_id",
    "digest": "digest_channel_id",
    "champion": "champion_user_id",
    "csm": "csm_user_id",
    "manager": "manager_user_id",
    "outcome": "desired_outcome",
    "holidays": "holiday_country",
    "reminders": "reminder_count",
    "checkins": "checkin_delivery",
}


def edit_account(session: Session, command: AccountEdit, *, actor: Actor, now: datetime) -> Account:
    account = find_account(session, team_id=actor.team_id, name=command.name)
    if not may_manage(actor, account):
        raise Refusal(manage_refusal(account))
    changed: list[str] = []
    for key, value in command.changes:
        if key == "review":
            before = review_words(account)
            set_review(account, value or "off")
            if review_words(account) != before:
                changed.append(f"review: {review_words(account)}")
            continue
        attribute = EDITABLE[key]
        stored: str | int | None = int(value) if key == "reminders" and value is not None else value
        if getattr(account, attribute) != stored:
            setattr(account, attribute, stored)
            changed.append(f"{key}: {escape(str(value)) if value is not None else '(none)'}")
    if account.shared_channel_id == account.escalation_channel_id:
        raise Refusal("The shared channel and the escalation channel must differ.")
    if any(change.startswith("holidays:") for change in changed):
        # A calendar change can bring a check-in earlier than the clock's bound: make it look again.
        for commitment in account.commitments:
            commitment.next_checkin_at = None
    if any(change.startswith("champion:") for change in changed):
        # A new champion has not agreed to anything yet: the customer's check-ins wait for their answer.
        stop_customer_checkins(session, account)
        # The review falls on the new champion's wall clock.
        account.next_review_at = None
    if any(change.startswith("digest:") for change in changed):
        # Another channel may still be owed this week's digest: the clock looks again.
        account.next_digest_at = None
    if changed:
        diary.record(
            session,
            account=account,
            kind="account_edited",
            text="Account changed — " + "; ".join(changed),
            at=now,
            actor_user_id=actor.user_id,
        )
    return account
