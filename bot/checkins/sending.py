"""Sending the check-ins that are due: claimed one by one, sent as one DM per person and instant.

Each occurrence is a row claimed with a guarded UPDATE before it is sent, so any number of passes,
sequential or concurrent, send each check-in once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load, streak, view_of
from bot.checkins.claims import claim, defer, record_sent
from bot.checkins.counts import CheckinCounts
from bot.checkins.message import MAX_CHECKINS_PER_MESSAGE, message_blocks, message_text
from bot.checkins.reconciling import reconcile_abandoned_claims, settle_ambiguous
from bot.checkins.reminders import after_sending
from bot.checkins.undelivered import (
    clear_problem,
    close_undeliverable,
    record_failure,
    tell_csm_undeliverable,
)
from bot.slack.errors import Failure, ambiguous, classify
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from models import CheckIn, CheckInState, Commitment

log = logging.getLogger(__name__)

CHECKIN_EVENT = "accountability_checkin"


def checkin_metadata(checkin_ids: list[int]) -> dict[str, Any]:
    """Slack message metadata naming the check-ins a DM carries, so a clock that died between
    posting and recording can find out afterwards whether the DM went out (`reconciling`)."""
    return {"event_type": CHECKIN_EVENT, "event_payload": {"checkin_ids": [str(i) for i in checkin_ids]}}


def send_due(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, counts: CheckinCounts
) -> None:
    """One DM per person per instant: check-ins of several commitments due together arrive as one message.

    A send that fails for a passing reason is tried again on a later pass (back-off, or Slack's
    Retry-After) until the check-in's own closing time; a refusal that can never succeed is recorded
    and the CSM told; a refused token stops this pass's sending and keeps everything due.
    """
    reconcile_abandoned_claims(sessions, gateway, now=now, counts=counts)
    close_undeliverable(sessions, now=now, counts=counts)
    for checkin_ids in _due_groups(sessions, now=now):
        claimed = [checkin_id for checkin_id in checkin_ids if claim(sessions, checkin_id, now=now)]
        for start in range(0, len(claimed), MAX_CHECKINS_PER_MESSAGE):
            batch = claimed[start : start + MAX_CHECKINS_PER_MESSAGE]
            if _send_group(sessions, gateway, batch, now=now, counts=counts) is Failure.WORKSPACE:
                # Nothing will go out with this token: release what is claimed and stop, keeping it due.
                defer(sessions, claimed[start + MAX_CHECKINS_PER_MESSAGE :], error="", now=now, wait=None)
                return


def _due_groups(sessions: sessionmaker[Session], *, now: datetime) -> list[list[int]]:
    """Due check-ins, grouped by owner and instant, earliest first."""
    with sessions() as session:
        due = session.execute(
            select(CheckIn.id, Commitment.owner_id, CheckIn.scheduled_at)
            .join(CheckIn.commitment)
            .where(CheckIn.state == CheckInState.DUE, CheckIn.scheduled_at <= now)
            .where((CheckIn.next_attempt_at.is_(None)) | (CheckIn.next_attempt_at <= now))
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        ).all()
    groups: dict[tuple[int, datetime], list[int]] = defaultdict(list)
    for checkin_id, owner_id, scheduled_at in due:
        groups[(owner_id, scheduled_at)].append(checkin_id)
    return list(groups.values())


def _send_group(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    now: datetime,
    counts: CheckinCounts,
) -> Failure | None:
    if not checkin_ids:
        return None
    with sessions() as session:
        rows = [row for row in (load(session, checkin_id) for checkin_id in checkin_ids) if row is not None]
        views = [view_of(row, streak_text=streak(session, row.commitment_id)) for row in rows]
        follow_up = {row.id: after_sending(row, sent_at=now) for row in rows}
        owner_id = rows[0].commitment.owner_id
    try:
        posted = gateway.send_dm(
            views[0].owner_user_id,
            text=message_text(views),
            blocks=message_blocks(views),
            metadata=checkin_metadata(checkin_ids),
        )
    except SlackDeliveryError as exc:
        owner = views[0].owner_user_id
        log.warning("check-in DM to %s failed: %s %s", owner, exc.method, exc.error)
        return _not_sent(
            sessions, gateway, checkin_ids, owner=owner, owner_id=owner_id, exc=exc, now=now, counts=counts
        )
    record_sent(sessions, checkin_ids, channel=posted.channel, ts=posted.ts, now=now, follow_up=follow_up)
    clear_problem(sessions, owner_id=owner_id)
    counts.sent += len(checkin_ids)
    return None


def _not_sent(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    owner: str,
    owner_id: int,
    exc: SlackDeliveryError,
    now: datetime,
    counts: CheckinCounts,
) -> Failure:
    """What a failed send leaves: settled from the DM history when Slack may have posted it anyway,
    recorded as not delivered when it never can be, otherwise due again later."""
    failure = classify(exc.error)
    if ambiguous(exc.error):
        settle_ambiguous(sessions, gateway, checkin_ids, owner=owner, error=exc.error, now=now, counts=counts)
    elif failure is Failure.PERMANENT:
        for checkin_id in checkin_ids:
            if record_failure(sessions, checkin_id, error=exc.error, now=now):
                counts.failed += 1
        tell_csm_undeliverable(sessions, gateway, owner_id=owner_id, error=exc.error, now=now)
    else:
        defer(sessions, checkin_ids, error=exc.error, now=now, wait=exc.retry_after)
        counts.deferred += len(checkin_ids)
    return failure
