"""Settling claims whose fate is unknown: a pass that died between claiming and recording, or a send
Slack answered with a 5xx or a dropped connection. The bot's history says which check-ins went out:
each check-in message carries its check-in IDs in the message metadata. A claim noted as heading to
the shared channel is looked for there; any other, in the bot's DM with its owner."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.claims import defer, lease_expired, let_go, record_found, take_over
from bot.checkins.counts import CheckinCounts
from bot.clock_run import ClockRun
from bot.slack.gateway import PostedMessage, SlackDeliveryError, SlackGateway
from bot.slack.workspaces import WorkspaceGateways
from models import CheckIn, CheckInState, Commitment, Person

log = logging.getLogger(__name__)

# ("dm", owner's user ID) or ("channel", channel ID): where a claimed check-in may have been posted.
Where = tuple[str, str]


def history(gateway: SlackGateway, where: Where) -> dict[int, PostedMessage]:
    place, target = where
    if place == "channel":
        return gateway.checkin_messages_in(target)
    return gateway.find_checkin_messages(target)


def reconcile_abandoned_claims(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    now: datetime,
    counts: CheckinCounts,
    clock: ClockRun,
    gateways: WorkspaceGateways | None = None,
) -> None:
    """Found in the history, it was delivered (recorded as sent, with its message, so it can be
    answered); not found, it never left, and goes back to due. A claim whose lease ran out is first
    taken over by this clock (one winner), so two clocks never settle the same claim."""
    for (team_id, where), stale in _abandoned_claims(sessions, now=now).items():
        claims = take_over(sessions, stale, now=now, clock=clock)
        if not claims:
            continue
        reader = gateways.for_team(team_id) if gateways is not None else gateway
        try:
            found = history(reader, where)
        except SlackDeliveryError as exc:
            log.warning(
                "could not reconcile %d check-in(s) in %s: %s %s", len(claims), where, exc.method, exc.error
            )
            continue
        for checkin_id in claims:
            message = found.get(checkin_id)
            if message is None:
                defer(sessions, [checkin_id], error="", now=now, wait=0)
                counts.reconciled_unsent += 1
            elif record_found(sessions, checkin_id, message=message, now=now, place=where[0]):
                counts.reconciled_sent += 1


def _abandoned_claims(
    sessions: sessionmaker[Session], *, now: datetime
) -> dict[tuple[str, Where], list[int]]:
    """Claims whose lease ran out, by workspace and where they may have gone: one history read per DM
    or channel."""
    with sessions() as session:
        stale = session.execute(
            select(CheckIn.id, CheckIn.team_id, Person.user_id, CheckIn.place, CheckIn.channel_id)
            .join(CheckIn.commitment)
            .join(Commitment.owner)
            .where(CheckIn.state == CheckInState.SENDING, lease_expired(now))
            .order_by(CheckIn.id)
        ).all()
    by_place: dict[tuple[str, Where], list[int]] = defaultdict(list)
    for checkin_id, team_id, user_id, place, channel_id in stale:
        where = ("channel", channel_id) if place == "channel" and channel_id else ("dm", user_id)
        by_place[(team_id, where)].append(checkin_id)
    return by_place


def settle_ambiguous(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    where: Where,
    error: str,
    now: datetime,
    counts: CheckinCounts,
    defer_rest: bool = True,
) -> list[int] | None:
    """Slack answered 5xx or the connection dropped: the message may be there. The history says; if
    even that can't be read (after its own retries), the claim stays and its lease ends now, so the
    abandoned-claim reconciliation of the next pass settles it (None). The check-ins not found are
    returned, still claimed unless `defer_rest` defers them."""
    try:
        found = history(gateway, where)
    except SlackDeliveryError as exc:
        log.warning(
            "send to %s failed (%s) and its history is unreadable (%s %s)",
            where,
            error,
            exc.method,
            exc.error,
        )
        let_go(sessions, checkin_ids, now=now)
        return None
    for checkin_id in checkin_ids:
        if checkin_id in found and record_found(
            sessions, checkin_id, message=found[checkin_id], now=now, place=where[0]
        ):
            counts.sent += 1
    undelivered = [checkin_id for checkin_id in checkin_ids if checkin_id not in found]
    if defer_rest:
        defer(sessions, undelivered, error=error, now=now, wait=None)
        counts.deferred += len(undelivered)
    return undelivered
