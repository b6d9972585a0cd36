"""One clock pass as of an instant: each capability's step in order, their reports summed.

What is due lives in the database, and each step decides it there; this module only orders the steps
and keeps one that fails from stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.plan_reminders import remind_pending
from bot.checkins.changes import close_answer_changes
from bot.checkins.counts import CheckinCounts
from bot.checkins.reminders import close_unanswered, send_reminders
from bot.checkins.scheduling import DOWNTIME_GRACE, end_finished_pauses, schedule_occurrences
from bot.checkins.sending import send_due
from bot.clock_run import ClockRun
from bot.diary.sharing import share_pending
from bot.digest.posting import post_due_digests
from bot.escalation.posting import retry_pending_posts, run_rules
from bot.heartbeats import beat
from bot.people.away import time_off
from bot.people.handover import ask_pending
from bot.renegotiation.posting import follow_up
from bot.review.posting import post_due_reviews
from bot.slack.deliveries import forget_old_deliveries
from bot.slack.gateway import SlackGateway
from bot.slack.workspaces import WorkspaceGateways
from models import ClockPass

log = logging.getLogger(__name__)

# A step's name (as the pass records its failure), the report field its count goes to, and the step.
Step = tuple[str, str | None, Callable[[], int | None]]


@dataclass
class PassReport(CheckinCounts):
    """The check-in steps' counts, and what each other step reported."""

    reminded: int = 0
    closed: int = 0
    shared: int = 0
    escalations: int = 0
    digests: int = 0
    reviews: int = 0
    errors: list[str] = field(default_factory=list)


def run_due_work(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    now: datetime,
    grace: timedelta = DOWNTIME_GRACE,
    gateways: WorkspaceGateways | None = None,
    heartbeat: bool = True,
) -> PassReport:
    """Every step in order; a step that fails is logged and recorded on the pass, and the steps after
    it still run — a broken digest must not stop check-ins, nor a crashed rule the reminders.
    `heartbeat=False` leaves the process's heartbeat to a caller running several of these as one pass
    (one per installation, `bot.installs.clock`)."""
    started = datetime.now(UTC)
    clock = ClockRun.this_process(as_of=now)
    checkins = CheckinCounts()
    counted: dict[str, int] = {}
    errors: list[str] = []
    steps = _steps(
        sessions,
        gateway,
        now=now,
        grace=grace,
        checkins=checkins,
        clock=clock,
        gateways=gateways or WorkspaceGateways(gateway),
    )
    for name, into, step in steps:
        try:
            result = step()
        except Exception as exc:
            log.exception("clock pass as of %s: the %s step failed", now.isoformat(), name)
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        if into is not None and result is not None:
            counted[into] = result
    report = PassReport(**asdict(checkins), **counted, errors=errors)
    _record(sessions, report, now=now, started=started)
    if not heartbeat:
        return report
    beat(
        sessions,
        clock,
        finished=datetime.now(UTC),
        sent=report.sent,
        failed=report.failed,
        errors=len(report.errors),
    )
    return report


def _steps(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    now: datetime,
    grace: timedelta,
    checkins: CheckinCounts,
    clock: ClockRun,
    gateways: WorkspaceGateways,
) -> list[Step]:
    """The order matters: pauses end before scheduling, check-ins are sent before reminders, and
    misses are closed before the escalation rules read them."""
    return [
        ("pauses", None, lambda: end_finished_pauses(sessions, now=now)),
        ("time off", None, lambda: time_off(sessions, gateway, now=now)),
        ("hand-overs", None, lambda: ask_pending(sessions, gateway, now=now)),
        ("scheduling", None, lambda: schedule_occurrences(sessions, now=now, grace=grace, counts=checkins)),
        (
            "sending",
            None,
            lambda: send_due(sessions, gateway, now=now, counts=checkins, clock=clock, gateways=gateways),
        ),
        ("reminders", "reminded", lambda: send_reminders(sessions, gateway, now=now, clock=clock)),
        ("closing", "closed", lambda: close_unanswered(sessions, gateway, now=now)),
        ("answer changes", None, lambda: close_answer_changes(sessions, gateway, now=now)),
        ("proposals", None, lambda: follow_up(sessions, gateway, now=now)),
        ("escalation rules", "escalations", lambda: run_rules(sessions, gateway, now=now)),
        ("escalation posts", None, lambda: retry_pending_posts(sessions, gateway, now=now)),
        ("agreement reminders", None, lambda: remind_pending(sessions, gateway, now=now)),
        ("shared diary", "shared", lambda: share_pending(sessions, gateway, now=now)),
        ("weekly reviews", "reviews", lambda: post_due_reviews(sessions, gateway, now=now)),
        ("digests", "digests", lambda: post_due_digests(sessions, gateway, now=now)),
        ("delivery log", None, lambda: forget_old_deliveries(sessions, now=now)),
    ]


def _record(sessions: sessionmaker[Session], report: PassReport, *, now: datetime, started: datetime) -> None:
    with sessions.begin() as session:
        session.add(
            ClockPass(
                as_of=now,
                started_at=started,
                finished_at=datetime.now(UTC),
                created=report.created,
                sent=report.sent,
                skipped=report.skipped,
                failed=report.failed,
                errors="\n".join(report.errors) or None,
            )
        )
