"""Several clock processes on one database: how they share the due work, how each shows in `/healthz`,
and how their connections are bounded."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.claims import claim_batch
from bot.clock_pass import run_due_work
from bot.clock_run import LEASE, ClockRun
from bot.heartbeats import STALE_AFTER
from bot.slack.gateway import SlackGateway
from bot.slack.workspaces import WorkspaceGateways
from models import CheckIn, CheckInState, ClockHeartbeat, ClockPass, Commitment, Person
from models.db import locked_or_skipped, make_engine
from slack_emulator import SlackEmulator
from tests.conftest import Clock, RunningApp
from tests.faults.clock_fleet import PASS_AT, WORKSPACES, seed_two_workspaces


def needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("SKIP LOCKED and statement timeouts are PostgreSQL's; SQLite runs one clock at a time")


def healthz(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_clock_claims_whole_people_and_skips_those_another_clock_is_claiming(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    needs_postgresql(database_url)
    owners = seed_two_workspaces(sessions, SlackEmulator(), people=3, per_person=2)
    first_owner = sorted(owners)[0]
    other_clock = sessions()
    try:
        # Another clock is in the middle of claiming the first person: its row is locked.
        other_clock.execute(select(Person).where(Person.user_id == first_owner).with_for_update())
        clock = ClockRun(host="here", pid=1, as_of=PASS_AT)
        claimed = claim_batch(sessions, now=PASS_AT, clock=clock)
    finally:
        other_clock.rollback()
        other_clock.close()
    with sessions() as session:
        rows = list(session.scalars(select(CheckIn).where(CheckIn.id.in_(claimed))))
        owner_of = {row.id: row.commitment.owner.user_id for row in rows}
    assert len(claimed) == 4 and first_owner not in owner_of.values()
    assert all(row.claimed_by == "here:1" and row.state is CheckInState.SENDING for row in rows)
    assert all(row.claim_expires_at is not None and row.claim_expires_at >= PASS_AT + LEASE for row in rows)
    # Once that lock is gone the first person's two check-ins are claimed together by the next batch.
    later = claim_batch(sessions, now=PASS_AT, clock=ClockRun(host="there", pid=2, as_of=PASS_AT))
    assert len(later) == 2


def test_a_batch_another_clock_claimed_between_look_and_lock_does_not_end_the_claiming(
    sessions: sessionmaker[Session], engine: Engine, database_url: str
) -> None:
    """Under READ COMMITTED the people found due on a snapshot are locked after another clock may have
    claimed their check-ins and let go: the claim then takes nothing from them, and must look again
    rather than tell the pass nothing is left."""
    needs_postgresql(database_url)
    owners = seed_two_workspaces(sessions, SlackEmulator(), people=4, per_person=1)
    first_two = sorted(owners)[:2]
    raced: list[str] = []

    def other_clock_wins(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE checkins") and not raced:
            raced.append(statement)
            with engine.begin() as other:  # its own connection, as another clock process
                other.execute(
                    update(CheckIn)
                    .where(
                        CheckIn.commitment_id.in_(
                            select(Commitment.id).join(Commitment.owner).where(Person.user_id.in_(first_two))
                        )
                    )
                    .values(state=CheckInState.SENDING, claimed_by="there:2", claimed_at=PASS_AT)
                )

    event.listen(engine, "before_cursor_execute", other_clock_wins)
    try:
        claimed = claim_batch(
            sessions, now=PASS_AT, clock=ClockRun(host="here", pid=1, as_of=PASS_AT), size=2
        )
    finally:
        event.remove(engine, "before_cursor_execute", other_clock_wins)
    assert raced  # the other clock did claim the first two people first
    with sessions() as session:
        owner_of = {
            row.id: row.commitment.owner.user_id
            for row in session.scalars(select(CheckIn).where(CheckIn.id.in_(claimed)))
        }
    assert sorted(owner_of.values()) == sorted(owners)[2:]


def test_a_unit_another_clock_is_claiming_is_passed_over_without_waiting(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    needs_postgresql(database_url)
    owners = seed_two_workspaces(sessions, SlackEmulator(), people=2, per_person=1)
    with sessions() as session:
        person_id = session.scalar(select(Person.id).where(Person.user_id == sorted(owners)[0]))
    other_clock = sessions()
    try:
        other_clock.execute(select(Person).where(Person.id == person_id).with_for_update())
        with sessions.begin() as session:
            assert locked_or_skipped(session, Person, person_id) is False
    finally:
        other_clock.rollback()
        other_clock.close()
    with sessions.begin() as session:
        assert locked_or_skipped(session, Person, person_id) is True


def test_a_workspace_whose_token_is_refused_keeps_its_checkins_due_while_the_others_go_out(
    sessions: sessionmaker[Session],
) -> None:
    refused_team, working_team = WORKSPACES
    with SlackEmulator(token="xoxb-default", team_id=working_team).start() as emulator:
        # Slack knows only the working workspace's token; the other one was revoked.
        emulator.add_workspace(working_team, token=WORKSPACES[working_team])
        owners = seed_two_workspaces(sessions, emulator, people=8, per_person=1)
        gateways = WorkspaceGateways.from_tokens(
            default_token="xoxb-default", team_tokens=WORKSPACES, api_url=emulator.api_url
        )
        report = run_due_work(sessions, gateways.default, now=PASS_AT, gateways=gateways)
        refusals = [
            c for c in emulator.calls_to("conversations.open") + emulator.calls_to("chat.postMessage")
            if c.headers["Authorization"] == f"Bearer {WORKSPACES[refused_team]}"
        ]  # fmt: skip
    with sessions() as session:
        states = {
            (team, state) for team, state in session.execute(select(CheckIn.team_id, CheckIn.state)).all()
        }
    assert report.sent == sum(1 for team in owners.values() if team == working_team) == 4
    assert states == {(working_team, CheckInState.SENT), (refused_team, CheckInState.DUE)}
    assert len(refusals) == 1  # after the first refusal nothing more is tried with that token


def test_each_pass_beats_its_process_heartbeat(
    sessions: sessionmaker[Session], gateway: SlackGateway, clock: Clock
) -> None:
    run_due_work(sessions, gateway, now=clock.now)
    run_due_work(sessions, gateway, now=clock.now + timedelta(minutes=1))
    with sessions() as session:
        beats = list(session.scalars(select(ClockHeartbeat)))
    assert [(b.pid, b.passes, b.last_as_of) for b in beats] == [
        (os.getpid(), 2, clock.now + timedelta(minutes=1))
    ]


def test_healthz_lists_every_clock_process_and_marks_the_stopped_one_stale(
    web: RunningApp, sessions: sessionmaker[Session], clock: Clock
) -> None:
    recent, old = clock.now - timedelta(seconds=30), clock.now - STALE_AFTER - timedelta(minutes=5)
    with sessions.begin() as session:
        session.add(ClockPass(as_of=recent, started_at=recent, finished_at=recent))
        for host, pid, at in (("clock-1", 11, recent), ("clock-2", 22, old)):
            session.add(
                ClockHeartbeat(
                    clock_id=f"{host}:{pid}", host=host, pid=pid, started_at=old, last_pass_at=at,
                    last_as_of=at, passes=3, sent=7, failed=0, errors=0,
                )
            )  # fmt: skip
    status, body = healthz(web.url)
    assert status == 200  # one clock still passes: the stopped one is reported, not fatal
    clocks = body["clocks"]
    assert isinstance(clocks, list)
    assert [(c["clock"], c["stale"], c["age_seconds"], c["sent"]) for c in clocks] == [
        ("clock-1:11", False, 30, 7),
        ("clock-2:22", True, int((clock.now - old).total_seconds()), 7),
    ]


def test_postgresql_connections_carry_the_statement_timeout_and_the_pool_its_size(database_url: str) -> None:
    needs_postgresql(database_url)
    engine = make_engine(database_url, pool_size=3, statement_timeout_ms=1500)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
            with pytest.raises(Exception, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(3)"))
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
    finally:
        engine.dispose()
