"""Settling claims whose fate is unknown: a pass that died between claiming and recording, or a send
Slack answered with a 5xx or a dropped connection. The bot's DM history says which DMs went out: each
check-in DM carries its check-in IDs in the message metadata."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.claims import defer, record_found
from bot.checkins.counts import CheckinCounts
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from models import CheckIn, CheckInState, Commitment, Person

log = logging.getLogger(__name__)

# A claim this old belongs to a pass that died mid-send (a send takes seconds, retries included):
# whether Slack got the DM is unknown until the bot's DM history is read.
ABANDONED_CLAIM = timedelta(minutes=10)


def reconcile_abandoned_claims(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, counts: CheckinCounts
) -> None:
    """Found in the history, it was delivered (recorded as sent, with its message, so it can be
    answered); not found, it never left, and goes back to due. Each move is a guarded UPDATE from
    `sending`, so two clocks reconciling the same claim settle it once."""
    for user_id, claims in _abandoned_claims(sessions, now=now).items():
        try:
            found = gateway.find_checkin_messages(user_id)
        except SlackDeliveryError as exc:
            log.warning(
                "could not reconcile %d check-in(s) of %s: %s %s", len(claims), user_id, exc.method, exc.error
            )
            continue
        for checkin_id in claims:
            message = found.get(checkin_id)
            if message is None:
                defer(sessions, [checkin_id], error="", now=now, wait=0)
                counts.reconciled_unsent += 1
            elif record_found(sessions, checkin_id, message=message, now=now):
                counts.reconciled_sent += 1


def _abandoned_claims(sessions: sessionmaker[Session], *, now: datetime) -> dict[str, list[int]]:
    """Stale claims by their owner's Slack ID: one history read per person."""
    with sessions() as session:
        stale = session.execute(
            select(CheckIn.id, Person.user_id)
            .join(CheckIn.commitment)
            .join(Commitment.owner)
            .where(CheckIn.state == CheckInState.SENDING, CheckIn.claimed_at < now - ABANDONED_CLAIM)
            .order_by(CheckIn.id)
        ).all()
    by_owner: dict[str, list[int]] = defaultdict(list)
    for checkin_id, user_id in stale:
        by_owner[user_id].append(checkin_id)
    return by_owner


def settle_ambiguous(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    owner: str,
    error: str,
    now: datetime,
    counts: CheckinCounts,
) -> None:
    """Slack answered 5xx or the connection dropped: the DM may be there. Its history says; if even
    that can't be read, the claim stays and the abandoned-claim reconciliation settles it later."""
    try:
        found = gateway.find_checkin_messages(owner)
    except SlackDeliveryError as exc:
        log.warning(
            "send to %s failed (%s) and its DM history is unreadable (%s %s)",
            owner,
            error,
            exc.method,
            exc.error,
        )
        return
    for checkin_id in checkin_ids:
        if checkin_id in found and record_found(sessions, checkin_id, message=found[checkin_id], now=now):
            counts.sent += 1
    undelivered = [checkin_id for checkin_id in checkin_ids if checkin_id not in found]
    defer(sessions, undelivered, error=error, now=now, wait=None)
    counts.deferred += len(undelivered)
