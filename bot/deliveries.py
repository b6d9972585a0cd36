"""Recognising a Slack event delivered more than once (retries, or Socket Mode without retry headers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from models import ProcessedEvent
from models.db import insert_once


def first_delivery(
    sessions: sessionmaker[Session], *, event_id: str, team_id: str | None, now: datetime
) -> bool:
    """True exactly once per `event_id`, however many deliveries race."""
    with sessions.begin() as session:
        inserted = insert_once(
            session,
            ProcessedEvent,
            {"event_id": event_id[:64], "team_id": team_id, "received_at": now},
            unique=["event_id"],
        )
    return inserted is not None
