"""Adding clock processes shares the work out; killing one mid-pass loses and doubles nothing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from models import CheckInState
from tests.faults import record, size
from tests.faults.clock_fleet import three_clocks_one_killed


@pytest.mark.reliability
@pytest.mark.slow
def test_three_clocks_send_every_checkin_once_with_its_workspaces_token_though_one_is_killed(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip(
            "clock processes share work with SELECT … FOR UPDATE SKIP LOCKED, which SQLite lacks: "
            "on SQLite one clock process runs at a time"
        )
    fleet = three_clocks_one_killed(
        sessions, database_url=database_url, people=size(1000, 1000), per_person=3
    )
    record(fleet.result, area="Delivery")
    assert len(fleet.checkin_ids) == 3000
    # The killed clock left claims behind; a pass after its lease ran out took them over.
    assert fleet.stranded > 0
    assert fleet.held_within_lease == fleet.stranded
    assert fleet.states == {CheckInState.SENT: 3000}
    # Every check-in reached Slack exactly once, with its own workspace's token.
    assert [i for i in fleet.checkin_ids if fleet.sent_per_checkin[i] != 1] == []
    assert fleet.wrong_token == 0
    # Both surviving clocks sent a share; each has its heartbeat, the killed one has none.
    assert set(fleet.survivors) <= fleet.senders
    assert set(fleet.survivors) <= fleet.heartbeats
    assert len(fleet.heartbeats) == 4  # two survivors, the pass within the lease, the one after it
