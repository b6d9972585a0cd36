"""A courteous reminder to a champion whose joint plan has waited for an answer.

One per plan version, claimed in the database before it is sent, so several clock passes never
remind twice; a reminder Slack refuses is recorded in the diary as not delivered. A passing failure
(a 5xx, a dropped connection) may come after Slack posted it: the champion's DMs say so, and when
they don't, the claim is left for the pass after the lease to read them again. The diary entry is
what settles the claim: a claim older than a clock's lease with no entry belongs to a clock that died
in between, and a later pass reads the champion's DMs (the reminder carries its plan's tag in its
metadata) to record it as sent, or sends it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, exists, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.schedule import zone
from bot.checkins.working_days import working_morning_after
from bot.clock_run import LEASE
from bot.diary import entries as diary
from bot.slack.errors import Failure, classify
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Agreement, DiaryEntry, Person
from models.db import rows_changed

log = logging.getLogger(__name__)

REMIND_AFTER_WORKING_DAYS = 2
PLAN_REMINDER_EVENT = "accountability_plan_reminder"
PLAN_REMINDER_TAGS = "agreements"


# The diary entry that settles a plan reminder's claim: "agreement:<id>:reminder".
KEY_PREFIX, KEY_SUFFIX = "agreement:", ":reminder"


def _dedupe_key(agreement_id: int) -> str:
    return f"{KEY_PREFIX}{agreement_id}{KEY_SUFFIX}"


def _metadata(agreement_id: int) -> dict[str, Any]:
    return {"event_type": PLAN_REMINDER_EVENT, "event_payload": {PLAN_REMINDER_TAGS: [str(agreement_id)]}}


def remind_pending(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """One courteous DM to a champion whose plan has waited two working days for an answer."""
    sent = _take_over_abandoned(sessions, gateway, now=now)
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


def _take_over_abandoned(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """Reminders claimed a lease ago or more with nothing recorded: one clock wins each (the claim's
    instant moves to this pass), then the champion's DMs say whether Slack got it. Returns how many
    this pass sent."""
    recorded = exists().where(
        DiaryEntry.dedupe_key
        == literal(KEY_PREFIX, String) + cast(Agreement.id, String) + literal(KEY_SUFFIX, String)
    )
    with sessions() as session:
        stale = list(
            session.execute(
                select(Agreement, Account)
                .join(Account, Account.id == Agreement.account_id)
                .where(Agreement.reminded_at < now - LEASE, Agreement.response.is_(None), ~recorded)
            )
        )
    sent = 0
    for agreement, account in stale:
        with sessions.begin() as session:
            won = rows_changed(
                session,
                update(Agreement)
                .where(Agreement.id == agreement.id, Agreement.reminded_at == agreement.reminded_at)
                .values(reminded_at=now),
            )
        if won != 1:
            continue
        delivered = _in_dms(gateway, agreement, account)
        if delivered is None:
            continue  # claimed again under this pass's instant: a pass after the lease reads again
        if delivered:
            _record(sessions, agreement, account, now=now, entry=_sent_entry(agreement, account))
        else:
            _send_reminder(sessions, gateway, agreement, account, now=now)
            sent += 1
    return sent


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
    entry = _sent_entry(agreement, account)
    try:
        gateway.post_message(account.champion_user_id, text=text, metadata=_metadata(agreement.id))
    except SlackDeliveryError as exc:
        log.warning(
            "plan reminder for agreement %s not sent: %s failed: %s", agreement.id, exc.method, exc.error
        )
        if classify(exc.error) is Failure.TRANSIENT and not _in_dms(gateway, agreement, account):
            # Maybe posted, maybe not: the claim stays, and the pass after the lease reads the DMs
            # again and records it or sends it — never twice, never recorded as failed for a blip.
            return
        if classify(exc.error) is not Failure.TRANSIENT:
            entry = f"The reminder about version {agreement.version} of the plan could not be delivered ({exc.error})."
    _record(sessions, agreement, account, now=now, entry=entry)


def _in_dms(gateway: SlackGateway, agreement: Agreement, account: Account) -> bool | None:
    """Whether the champion's DMs hold this plan's reminder; None when they cannot be read."""
    try:
        found = gateway.tagged_dms(
            account.champion_user_id, event_type=PLAN_REMINDER_EVENT, key=PLAN_REMINDER_TAGS
        )
    except SlackDeliveryError as exc:
        log.warning(
            "could not read the DMs to settle plan reminder %s: %s %s", agreement.id, exc.method, exc.error
        )
        return None
    return str(agreement.id) in found


def _sent_entry(agreement: Agreement, account: Account) -> str:
    return f"Reminder sent to <@{account.champion_user_id}> about version {agreement.version} of the plan."


def _record(
    sessions: sessionmaker[Session], agreement: Agreement, account: Account, *, now: datetime, entry: str
) -> None:
    with sessions.begin() as session:
        diary.record(
            session,
            account=session.get_one(Account, account.id),
            kind="agreement_reminder",
            text=entry,
            at=now,
            dedupe_key=_dedupe_key(agreement.id),
        )
