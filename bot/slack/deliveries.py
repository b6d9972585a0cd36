"""Recognising a Slack event delivered more than once (retries, or Socket Mode without retry headers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from models import ProcessedEvent
from models.db import insert_once, rows_changed


def first_delivery(
    sessions: sessionmaker[Session], *, event_id: str, team_id: str | None, now: datetime
) -> bool:
    """True exactly once per `event_id`, however many deliveries race."""
    with sessions.begin() as session:
        return claim_delivery(session, event_id=event_id, team_id=team_id, now=now)


def claim_delivery(session: Session, *, event_id: str, team_id: str | None, now: datetime) -> bool:
    """`first_delivery` inside a caller's transaction: the request's mark and what it wrote commit
    together (one commit, not two, inside a 3-second ack), and a rolled-back write leaves no mark."""
    inserted = insert_once(
        session,
        ProcessedEvent,
        {"event_id": event_id[:64], "team_id": team_id, "received_at": now},
        unique=["event_id"],
    )
    return inserted is not None


class Replayed(Exception):
    """A request already carried out, sent again: acknowledged, and nothing done or said."""


# Slack retries an event for about an hour at most and a signature is good for five minutes: a day
# of memory is ample, and the table stays small.
REMEMBERED = timedelta(days=1)


def forget_old_deliveries(sessions: sessionmaker[Session], *, now: datetime) -> int:
    """Read first, delete only when there is something to delete: an idle pass takes no write lock."""
    old = ProcessedEvent.received_at < now - REMEMBERED
    with sessions() as session:
        if session.scalar(select(ProcessedEvent.event_id).where(old).limit(1)) is None:
            return 0
    with sessions.begin() as session:
        return rows_changed(session, delete(ProcessedEvent).where(old))
