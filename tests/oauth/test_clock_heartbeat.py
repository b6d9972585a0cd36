"""In OAuth mode one clock process runs a pass per installation, in parallel; /healthz's row for the
process describes the whole pass — every installation's sends — not whichever installation finished last."""

from __future__ import annotations

from sqlalchemy import select

from models import ClockHeartbeat
from tests.oauth.conftest import ALPHA, BETA, TUESDAY_CHECKINS, Workspaces, agree


def test_one_heartbeat_per_pass_counts_every_installations_sends(workspaces: Workspaces) -> None:
    agree(workspaces, ALPHA)
    agree(workspaces, BETA)

    workspaces.clock_pass(TUESDAY_CHECKINS)

    with workspaces.sessions() as session:
        (row,) = session.scalars(select(ClockHeartbeat)).all()
        assert (row.passes, row.sent, row.failed, row.errors) == (1, 2, 0, 0)
        assert row.last_as_of == TUESDAY_CHECKINS
