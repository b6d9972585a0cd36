"""One row per clock process, written at the end of each of its passes, so `/healthz` can say which
clocks are running against this database and which have stopped."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_run import ClockRun
from models import ClockHeartbeat

# A clock that has not finished a pass for this long is marked stale (passes run every minute).
STALE_AFTER = timedelta(minutes=10)
# Processes replaced by a deploy leave their row behind: shown as stale for a week, then forgotten.
FORGOTTEN_AFTER = timedelta(days=7)
# In OAuth mode one process runs a pass per installation in parallel threads and beats once when all
# have finished (`bot.installs.clock`); the lock keeps any two beats of one process from racing on its row.
_ROW_LOCK = threading.Lock()


def beat(
    sessions: sessionmaker[Session],
    clock: ClockRun,
    *,
    finished: datetime,
    sent: int,
    failed: int,
    errors: int,
) -> None:
    """Only this process writes its own row (its threads one at a time), so a read then a write is
    safe here."""
    with _ROW_LOCK, sessions.begin() as session:
        row = session.get(ClockHeartbeat, clock.clock_id)
        if row is None:
            row = ClockHeartbeat(
                clock_id=clock.clock_id, host=clock.host, pid=clock.pid, started_at=finished, passes=0
            )
            session.add(row)
        row.last_pass_at = finished
        row.last_as_of = clock.as_of
        row.passes = (row.passes or 0) + 1
        row.sent, row.failed, row.errors = sent, failed, errors
        session.execute(
            delete(ClockHeartbeat).where(ClockHeartbeat.last_pass_at < finished - FORGOTTEN_AFTER)
        )


def clocks(session: Session, *, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """The clocks seen lately, most recent first, each marked stale or not."""
    rows = session.scalars(select(ClockHeartbeat).order_by(ClockHeartbeat.last_pass_at.desc()).limit(limit))
    return [
        {
            "clock": row.clock_id,
            "host": row.host,
            "pid": row.pid,
            "last_pass": row.last_pass_at.isoformat(),
            "last_pass_as_of": row.last_as_of.isoformat(),
            "age_seconds": int((now - row.last_pass_at).total_seconds()),
            "passes": row.passes,
            "sent": row.sent,
            "failed": row.failed,
            "errors": row.errors,
            "stale": now - row.last_pass_at > STALE_AFTER,
        }
        for row in rows
    ]
