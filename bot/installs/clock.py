"""The clock in OAuth mode: each pass runs once per live installation, scoped to it and sending with
its own bot token, in parallel, so a slow or rate-limited workspace never holds up another and a
workspace that uninstalled gets nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.scheduling import DOWNTIME_GRACE
from bot.clock_pass import PassReport, run_due_work
from bot.clock_run import ClockRun
from bot.heartbeats import beat
from bot.installs.standing import live_tenants
from bot.slack.gateway import SlackGateway
from models import Tenant, acting_for

log = logging.getLogger(__name__)

MAX_PARALLEL = 8


def run_per_installation(
    sessions: sessionmaker[Session],
    gateway_for: Callable[[Tenant], SlackGateway],
    *,
    now: datetime,
    grace: timedelta = DOWNTIME_GRACE,
) -> dict[str, PassReport]:
    """One pass per live installation; an installation whose client can't be made is reported, and the
    others still run."""
    tenants = live_tenants(sessions)

    def one(tenant: Tenant) -> PassReport:
        with acting_for(tenant):
            try:
                gateway = gateway_for(tenant)
            except Exception as exc:
                log.exception("clock pass for %s: no client", tenant)
                return PassReport(errors=[f"client: {type(exc).__name__}: {str(exc)[:300]}"])
            return run_due_work(sessions, gateway, now=now, grace=grace, heartbeat=False)

    if not tenants:
        return {}
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(tenants)), thread_name_prefix="clock") as pool:
        reports = dict(zip([t.key for t in tenants], pool.map(one, tenants), strict=True))
    # One beat for the whole pass: /healthz shows what this process did across every installation.
    beat(
        sessions,
        ClockRun.this_process(as_of=now),
        finished=datetime.now(UTC),
        sent=sum(r.sent for r in reports.values()),
        failed=sum(r.failed for r in reports.values()),
        errors=sum(len(r.errors) for r in reports.values()),
    )
    return reports
