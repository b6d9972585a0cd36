"""The clock's jobs, built from settings, and the single pass `tick` runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from bot.clock_pass import PassReport, run_due_work
from bot.installs.clients import Installations
from bot.installs.clock import run_per_installation
from bot.installs.encryption import EncryptionKeyError
from bot.settings import Settings
from bot.slack.gateway import SlackGateway
from bot.slack.workspaces import WorkspaceGateways
from bot.startup import startup_line
from models import Tenant
from models.db import make_engine, session_factory, upgrade

log = logging.getLogger(__name__)

PASS_INTERVAL_SECONDS = 60


class ClockConfigError(RuntimeError):
    pass


def installation_passes(settings: Settings, *, at: datetime | None = None) -> dict[str, PassReport]:
    """OAuth mode's `tick`: one pass per live installation, keyed by its team (or org) id. The engine is
    the clock's, as `run_forever` makes it: pool sized for the senders, statement timeout set."""
    engine = make_engine(settings.database_url, **settings.engine_options("clock"))
    try:
        upgrade(engine)
        return per_installation(settings, engine)(at or datetime.now(UTC))
    finally:
        engine.dispose()


def _gateways(settings: Settings, engine: Engine) -> WorkspaceGateways:
    """The clock retries no post blindly: see bot.slack.gateway.retry_handlers. Its posts are paced
    with the other clocks' on the same database (bot.slack.shared_pace)."""
    if not settings.bot_token and not settings.team_tokens:
        raise ClockConfigError("SLACK_BOT_TOKEN is not set: the clock has nobody to send check-ins as.")
    return WorkspaceGateways.from_tokens(
        default_token=settings.bot_token,
        team_tokens=settings.team_tokens,
        api_url=settings.api_url,
        engine=engine,
    )


def one_pass(settings: Settings, *, at: datetime | None = None) -> PassReport:
    engine = make_engine(settings.database_url, **settings.engine_options("clock"))
    try:
        gateways = _gateways(settings, engine)
        upgrade(engine)
        # One question to Slack first: a refused token or an unreachable Slack is one clear failure,
        # not a failed step for every check-in due.
        gateways.default.own_user_id()
        return run_due_work(
            session_factory(engine), gateways.default, now=at or datetime.now(UTC), gateways=gateways
        )
    finally:
        engine.dispose()


def per_installation(settings: Settings, engine: Engine) -> Callable[[datetime], dict[str, PassReport]]:
    """OAuth mode: a pass runs for each live installation with its own client (bot/installs/clock.py)."""
    problem = settings.oauth_problem()
    if problem:
        raise ClockConfigError(problem)
    try:
        installations = Installations.from_settings(settings, engine)
    except EncryptionKeyError as exc:
        raise ClockConfigError(str(exc)) from None
    sessions = session_factory(engine)

    def gateway_for(tenant: Tenant) -> SlackGateway:
        return SlackGateway(installations.client_for(tenant, clock=True))

    return lambda now: run_per_installation(sessions, gateway_for, now=now)


def run_forever(settings: Settings) -> None:
    """A pass a minute, in UTC; a missed run is coalesced, never replayed in a burst."""
    engine = make_engine(settings.database_url, **settings.engine_options("clock"))
    if settings.oauth or settings.oauth_problem():
        upgrade(engine)
        passes = per_installation(settings, engine)

        def tick() -> None:
            log.info("clock pass: %s", passes(datetime.now(UTC)))

    else:
        gateways = _gateways(settings, engine)
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
    log.info("%s", startup_line(f"clock, a pass every {PASS_INTERVAL_SECONDS} s", settings))
    scheduler.start()
