"""The clock's jobs, built from settings, and the single pass `tick` runs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler

from bot.clock_pass import PassReport, run_due_work
from bot.settings import Settings
from bot.slack.workspaces import WorkspaceGateways
from models.db import make_engine, session_factory, upgrade

log = logging.getLogger(__name__)

PASS_INTERVAL_SECONDS = 60


class ClockConfigError(RuntimeError):
    pass


def _gateways(settings: Settings) -> WorkspaceGateways:
    """The clock retries nothing blindly: see bot.slack.gateway.retry_handlers."""
    if not settings.bot_token and not settings.team_tokens:
        raise ClockConfigError("SLACK_BOT_TOKEN is not set: the clock has nobody to send check-ins as.")
    return WorkspaceGateways.from_tokens(
        default_token=settings.bot_token, team_tokens=settings.team_tokens, api_url=settings.api_url
    )


def one_pass(settings: Settings, *, at: datetime | None = None) -> PassReport:
    gateways = _gateways(settings)
    engine = make_engine(settings.database_url, **settings.engine_options("clock"))
    try:
        upgrade(engine)
        return run_due_work(
            session_factory(engine), gateways.default, now=at or datetime.now(UTC), gateways=gateways
        )
    finally:
        engine.dispose()


def run_forever(settings: Settings) -> None:
    """A pass a minute, in UTC; a missed run is coalesced, never replayed in a burst."""
    gateways = _gateways(settings)
    engine = make_engine(settings.database_url, **settings.engine_options("clock"))
    upgrade(engine)
    sessions = session_factory(engine)

    def tick() -> None:
        report = run_due_work(sessions, gateways.default, now=datetime.now(UTC), gateways=gateways)
        log.info("clock pass: %s", report)

    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        "interval",
        seconds=PASS_INTERVAL_SECONDS,
        id="due-work",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=PASS_INTERVAL_SECONDS,
        next_run_time=datetime.now(UTC),
    )
    log.info("clock started: a pass every %s s", PASS_INTERVAL_SECONDS)
    scheduler.start()
