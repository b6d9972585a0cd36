"""What Slack and a platform see at the HTTP boundary: signatures, health, events and their retries."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Account, ClockPass
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM, Clock, RunningApp

ACCOUNT_ADD = "account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP>"


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def count_accounts(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def test_request_with_a_bad_signature_is_rejected_and_changes_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    body = web.slack.command_body(ACCOUNT_ADD, user_id=CSM)
    result = web.slack.post(
        body, content_type="application/x-www-form-urlencoded", signature="v0=" + "0" * 64
    )
    assert result.status == 401
    assert count_accounts(sessions) == 0
    assert emulator.calls_to("users.info") == []


def test_request_signed_more_than_five_minutes_ago_is_rejected(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    body = web.slack.command_body(ACCOUNT_ADD, user_id=CSM)
    # Correctly signed, but replayed six minutes later.
    result = web.slack.post(
        body, content_type="application/x-www-form-urlencoded", timestamp=int(time.time()) - 360
    )
    assert result.status == 401
    assert count_accounts(sessions) == 0


def test_correctly_signed_request_is_accepted(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    assert web.slack.command(ACCOUNT_ADD, user_id=CSM).status == 200
    emulator.wait_for("response_url")
    assert count_accounts(sessions) == 1


def test_healthz_answers_200_on_a_fresh_deploy_whose_clock_never_ran(web: RunningApp) -> None:
    status, body = get(f"{web.url}/healthz")
    assert status == 200
    assert body == {"ok": True, "database": "ok", "clock": "has not run yet"}


def test_healthz_answers_503_when_the_clock_stopped(
    web: RunningApp, sessions: sessionmaker[Session], clock: Clock
) -> None:
    last = clock.now - timedelta(minutes=11)
    with sessions.begin() as session:
        session.add(ClockPass(as_of=last, started_at=last, finished_at=last))
    status, body = get(f"{web.url}/healthz")
    assert status == 503
    assert body["ok"] is False
    clock.now = last + timedelta(minutes=2)
    assert get(f"{web.url}/healthz")[0] == 200


def test_unknown_path_is_not_found(web: RunningApp) -> None:
    try:
        urllib.request.urlopen(f"{web.url}/nope", timeout=5)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as error:
        assert error.code == 404


def test_url_verification_challenge_is_echoed(web: RunningApp) -> None:
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
    result = web.slack.post(body, content_type="application/json")
    assert result.status == 200
    assert result.json() == {"challenge": "abc123"}


def test_app_home_opened_publishes_the_home_tab(web: RunningApp, emulator: SlackEmulator) -> None:
    result = web.slack.event(
        {"type": "app_home_opened", "user": CHAMPION, "channel": "D0CHAMP", "tab": "home"}
    )
    assert result.status == 200
    publish = emulator.wait_for("views.publish")[0]
    assert publish.params["user_id"] == CHAMPION
    assert publish.params["view"]["type"] == "home"
    texts = json.dumps(publish.params["view"]["blocks"])
    assert "Nothing is waiting for your answer" in texts


def test_redelivered_event_is_acknowledged_but_handled_once(web: RunningApp, emulator: SlackEmulator) -> None:
    event = {"type": "app_home_opened", "user": CHAMPION, "channel": "D0CHAMP", "tab": "home"}
    assert web.slack.event(event, event_id="Ev0DUPLICATE").status == 200
    emulator.wait_for("views.publish")
    for retry in (1, 2, 3):
        assert web.slack.event(event, event_id="Ev0DUPLICATE", retry_num=retry).status == 200
    # A different event afterwards proves the listener still runs, and bounds the wait for stray copies.
    assert web.slack.event(event, event_id="Ev0SECOND").status == 200
    emulator.wait_for("views.publish", count=2)
    assert len(emulator.calls_to("views.publish")) == 2


def test_clock_pass_is_visible_in_healthz(
    web: RunningApp, sessions: sessionmaker[Session], clock: Clock
) -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    clock.now = now + timedelta(minutes=1)
    with sessions.begin() as session:
        session.add(ClockPass(as_of=now, started_at=now, finished_at=now))
    status, body = get(f"{web.url}/healthz")
    assert status == 200
    assert body["clock"] == {"last_pass": now.isoformat(), "age_seconds": 60}


def test_the_delivery_log_forgets_deliveries_older_than_a_day(
    web: RunningApp, sessions: sessionmaker[Session], clock: Clock
) -> None:
    from bot.slack.deliveries import first_delivery, forget_old_deliveries

    assert first_delivery(sessions, event_id="Ev0OLD", team_id=None, now=clock.now - timedelta(days=2))
    assert first_delivery(sessions, event_id="Ev0NEW", team_id=None, now=clock.now)
    assert forget_old_deliveries(sessions, now=clock.now) == 1
    assert forget_old_deliveries(sessions, now=clock.now) == 0
    assert not first_delivery(sessions, event_id="Ev0NEW", team_id=None, now=clock.now)
