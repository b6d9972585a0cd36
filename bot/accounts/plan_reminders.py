"""A courteous reminder to a champion whose joint plan has waited for an answer.

One per plan version, claimed in the database before it is sent, so several clock passes never
remind twice; a reminder Slack refuses is recorded in the diary as not delivered.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.schedule import zone
from bot.checkins.working_days import working_morning_after
from bot.diary import entries as diary
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Agreement, Person
from models.db import rows_changed

log = logging.getLogger(__name__)

REMIND_AFTER_WORKING_DAYS = 2


def remind_pending(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """One courteous DM to a champion whose plan has waited two working days for an answer."""
    sent = 0
    for agreement, account in _due_reminders(sessions, now=now):
        if _claim_reminder(sessions, agreement.id, now=now):
            _send_reminder(sessions, gateway, agreement, account, now=now)
            sent += 1
    return sent


def _due_reminders(sessions: sessionmaker[Session], *, now: datetime) -> list[tuple[Agreement, Account]]:
    """Posted plans still unanswered and never reminded about, two working days on in the champion's zone."""
    with sessions() as session:
        pending: list[tuple[Agreement, Account]] = [
            (agreement, account)
            for agreement, account in session.execute(
                select(Agreement, Account)
                .join(Account, Account.id == Agreement.account_id)
                .where(
                    Agreement.response.is_(None),
                    Agreement.reminded_at.is_(None),
                    Agreement.message_ts.is_not(None),
                    Agreement.version == Account.plan_version,
                )
            )
        ]
        champions = {
            p.user_id: p
            for p in session.scalars(
                select(Person).where(Person.user_id.in_([a.champion_user_id for _, a in pending]))
            )
        }
    due = []
    for agreement, account in pending:
        champion = champions.get(account.champion_user_id)
        tz = zone(champion.tz if champion else None)
        remind_at = working_morning_after(
            agreement.posted_at, REMIND_AFTER_WORKING_DAYS, tz=tz, holiday_country=account.holiday_country
        )
        if now >= remind_at:
            due.append((agreement, account))
    return due


def _claim_reminder(sessions: sessionmaker[Session], agreement_id: int, *, now: datetime) -> bool:
    """Claimed before sending, so two clock passes never remind twice."""
    with sessions.begin() as session:
        claimed = rows_changed(
            session,
            update(Agreement)
            .where(
                Agreement.id == agreement_id,
                Agreement.reminded_at.is_(None),
                Agreement.response.is_(None),
            )
            .values(reminded_at=now),
        )
    return claimed == 1


def _send_reminder(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    agreement: Agreement,
    account: Account,
    *,
    now: datetime,
) -> None:
    text = (
        f"Hello <@{account.champion_user_id}> — a gentle reminder that the joint plan for {escape(account.name)} is waiting "
        f"for your answer in <#{account.shared_channel_id}>. If something in it doesn't look right, "
        "“Let's discuss” is a perfectly good answer."
    )
    entry = f"Reminder sent to <@{account.champion_user_id}> about version {agreement.version} of the plan."
    try:
        gateway.post_message(account.champion_user_id, text=text)
    except SlackDeliveryError as exc:
        log.warning(
            "plan reminder for agreement %s not sent: %s failed: %s", agreement.id, exc.method, exc.error
        )
        entry = f"The reminder about version {agreement.version} of the plan could not be delivered ({exc.error})."
    with sessions.begin() as session:
        diary.record(
            session,
            account=session.get_one(Account, account.id),
            kind="agreement_reminder",
            text=entry,
            at=now,
            dedupe_key=f"agreement:{agreement.id}:reminder",
        )
