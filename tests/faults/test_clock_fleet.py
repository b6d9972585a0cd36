"""Adding clock processes shares the work out; killing one mid-pass loses and doubles nothing; one
clock's parallel installation passes share its small pool."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import CheckIn, CheckInState
from slack_emulator import SlackEmulator
from tests.faults import clock_fleet, record, size
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


@pytest.mark.slow
def test_eight_installations_passes_at_once_share_a_pool_far_smaller_than_their_senders(
    sessions: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OAuth mode: one clock runs up to eight installations' passes at once, each with its own sending
    threads (8 × 12), on the one pool `DATABASE_POOL_SIZE` sizes for the process. A sender holds a
    connection only to record what Slack answered, never across a Slack call, so two connections (and
    two more for a burst) still carry every send: none waits out the pool and fails."""
    if not database_url.startswith("postgres"):
        pytest.skip("OAuth mode's installations send in parallel on PostgreSQL; SQLite sends with one thread")
    teams = {f"T0POOL{n}": f"xoxb-pool-{n}" for n in range(8)}
    monkeypatch.setattr(clock_fleet, "WORKSPACES", teams)
    with SlackEmulator(token=clock_fleet.DEFAULT_TOKEN, team_id="T0POOL0").start() as emulator:
        for team, token in teams.items():
            emulator.add_workspace(team, token=token)
        # Long enough that senders holding a connection across their Slack call would queue past
        # the pool's 30-second wait: 320 posts over 4 connections at half a second each.
        emulator.delay("chat.postMessage", 0.5)
        clock_fleet.seed_two_workspaces(sessions, emulator, people=8 * 40, per_person=1)
        clock_fleet.install_both(sessions)
        env = {**clock_fleet.fleet_env(database_url, emulator), "DATABASE_POOL_SIZE": "2"}
        ticked = subprocess.run(
            clock_fleet.tick(clock_fleet.PASS_AT), cwd=clock_fleet.ROOT, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        posts = emulator.calls_to("chat.postMessage")
    assert ticked.returncode == 0, ticked.stderr[-2000:]
    assert "QueuePool limit" not in ticked.stderr and "TimeoutError" not in ticked.stderr, ticked.stderr[
        -2000:
    ]
    with sessions() as session:
        team_of = dict(session.execute(select(CheckIn.id, CheckIn.team_id)).all())
        states = dict(session.execute(select(CheckIn.state, func.count()).group_by(CheckIn.state)).all())
    assert states == {CheckInState.SENT: 8 * 40}
    sent: Counter[int] = Counter()
    for call in posts:
        ids = clock_fleet.checkin_ids_of(call)
        sent.update(ids)
        token = call.headers.get("Authorization", "").removeprefix("Bearer ")
        assert all(teams[team_of[i]] == token for i in ids), call
    assert sorted(sent) == sorted(team_of) and set(sent.values()) == {1}
