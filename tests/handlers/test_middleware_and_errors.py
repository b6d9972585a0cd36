"""What runs around every listener: a redelivered event or a replayed signed request is acknowledged
and not acted on twice, and an unexpected failure is logged once with what Slack sent."""

from __future__ import annotations

import json
import logging
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.deps import Deps
from handlers.errors import log_failure
from handlers.middleware import skip_redelivered_events, skip_replayed_requests
from models import ProcessedEvent
from tests.conftest import CSM, VENDOR_TEAM

log = logging.getLogger("tests.handlers.middleware")


class Next:
    """The `next` Bolt hands a middleware, counting how often the request was passed on."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> BoltResponse:
        self.calls += 1
        return BoltResponse(status=200, body="passed on")


def remembered(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)


def event_body(event_id: str) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": VENDOR_TEAM,
        "event_id": event_id,
        "event": {"type": "message"},
    }


def click_request(*, timestamp: str, value: str = "7") -> BoltRequest:
    payload = {"type": "block_actions", "user": {"id": CSM}, "actions": [{"action_id": "x", "value": value}]}
    return BoltRequest(
        body=urllib.parse.urlencode({"payload": json.dumps(payload)}),
        headers={"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp},
    )


def test_a_redelivered_event_is_acknowledged_and_dropped(deps: Deps, sessions: sessionmaker[Session]) -> None:
    passed_on = Next()
    first = skip_redelivered_events(event_body("Ev0ONCE"), passed_on, log, deps=deps)
    again = skip_redelivered_events(event_body("Ev0ONCE"), passed_on, log, deps=deps)

    assert first.body == "passed on"
    assert (again.status, again.body) == (200, "")
    assert passed_on.calls == 1
    assert remembered(sessions) == 1


def test_a_replayed_signed_click_is_acknowledged_and_not_run_twice(
    deps: Deps, sessions: sessionmaker[Session]
) -> None:
    passed_on = Next()
    skip_replayed_requests(click_request(timestamp="1764500000"), passed_on, log, deps=deps)
    replayed = skip_replayed_requests(click_request(timestamp="1764500000"), passed_on, log, deps=deps)
    assert (replayed.status, replayed.body, passed_on.calls) == (200, "", 1)

    # The same button clicked again later is a new request, signed at a new time.
    skip_replayed_requests(click_request(timestamp="1764500060"), passed_on, log, deps=deps)
    assert passed_on.calls == 2


def test_a_replay_check_the_database_cannot_answer_still_passes_the_request_on(tmp_path: Path) -> None:
    unreachable = sessionmaker(create_engine(f"sqlite:///{tmp_path / 'missing' / 'accountability.db'}"))
    passed_on = Next()
    skip_replayed_requests(
        click_request(timestamp="1764500000"), passed_on, log, deps=Deps(sessions=unreachable)
    )
    assert passed_on.calls == 1  # the listener tells the person their answer wasn't recorded


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"type": "block_actions", "user": {"id": CSM}}, "type=block_actions user=U0CSM"),
        ({"command": "/accountability", "user_id": CSM}, "type=/accountability user=U0CSM"),
    ],
)
def test_an_unexpected_listener_failure_is_logged_with_what_slack_sent_and_answered_500(
    caplog: pytest.LogCaptureFixture, body: dict[str, Any], named: str
) -> None:
    with caplog.at_level(logging.ERROR, logger=log.name):
        try:
            raise RuntimeError("boom")
        except RuntimeError as error:  # Bolt calls the error handler from inside its own except
            response = log_failure(error, body, log)

    assert (response.status, response.body) == (500, "")
    [record] = caplog.records
    assert named in record.getMessage() and "boom" in record.getMessage()
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError  # with the traceback
