"""Every click Slack was told "200" about is on record, or its person was told it was not."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from slack_emulator import SlackEmulator
from tests.faults import record, size
from tests.faults.web import database_stopped, killed_worker


@pytest.mark.reliability
@pytest.mark.slow
def test_a_web_worker_killed_mid_burst_loses_no_acknowledged_answer(
    sessions: sessionmaker[Session], emulator: SlackEmulator, database_url: str
) -> None:
    result = record(
        killed_worker(sessions, emulator, database_url=database_url, size=size(90, 200)),
        area="Acknowledged clicks",
    )
    assert result.outcome["workers killed"] == 1
    assert result.outcome["acked and lost"] == 0
    assert result.outcome["acked and recorded"] > 0


@pytest.mark.reliability
@pytest.mark.slow
def test_a_database_that_stops_mid_burst_tells_each_person_their_answer_was_not_recorded(
    sessions: sessionmaker[Session], emulator: SlackEmulator, database_url: str
) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("stopping the database needs a database server to stop; SQLite has none")
    result = record(
        database_stopped(sessions, emulator, database_url=database_url, size=size(20, 40)),
        area="Acknowledged clicks",
    )
    half = result.tried // 2
    assert result.outcome["acked and recorded"] == half
    assert result.outcome["acked and told it was not recorded"] == result.tried - half
    assert result.outcome["acked and lost"] == 0
