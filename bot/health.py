"""What `/healthz` reports: the database answers, the clock is alive if it ever ran, and each clock
process's last pass (`clocks`, stale ones marked: a process replaced by a deploy goes stale harmlessly;
the status turns 503 only when no clock at all has passed lately)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.heartbeats import clocks
from bot.installs.standing import standing_report
from models import ClockPass

CLOCK_STALE_AFTER = timedelta(minutes=10)


def health(
    sessions: sessionmaker[Session], *, now: datetime, installations: bool = False
) -> tuple[int, dict[str, Any]]:
    """`installations` (OAuth mode) adds how many workspaces are live and which stopped, and why."""
    status, body = _health(sessions, now=now)
    if (installations and status == 200) or (installations and "clock" in body):
        try:
            body["workspaces"] = standing_report(sessions)
        except SQLAlchemyError as exc:
            body["workspaces"] = f"unreadable ({type(exc).__name__})"
    return status, body


def _health(sessions: sessionmaker[Session], *, now: datetime) -> tuple[int, dict[str, Any]]:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
            last_pass = session.scalar(
                select(ClockPass.finished_at).order_by(ClockPass.finished_at.desc()).limit(1)
            )
            processes = clocks(session, now=now)
    except SQLAlchemyError as exc:
        return 503, {"ok": False, "database": f"unreachable ({type(exc).__name__})"}
    if last_pass is None:
        return 200, {"ok": True, "database": "ok", "clock": "has not run yet"}
    age = now - last_pass
    body: dict[str, Any] = {
        "ok": age <= CLOCK_STALE_AFTER,
        "database": "ok",
        "clock": {"last_pass": last_pass.isoformat(), "age_seconds": int(age.total_seconds())},
        "clocks": processes,
    }
    if age > CLOCK_STALE_AFTER:
        body["clock"]["problem"] = (
            f"no clock pass for more than {int(CLOCK_STALE_AFTER.total_seconds() // 60)} minutes"
        )
        return 503, body
    return 200, body
