"""Escalation work that fails after Slack has its acknowledgement: logged with the Slack method and
error, and answered to the person instead of vanishing."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from slack_bolt import BoltContext
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway, make_client
from handlers.deps import Deps
from handlers.replies import SOMETHING_WENT_WRONG
from handlers.views.escalation import record_autopsy_form
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM, TOKEN
from tests.e2e.test_escalation_end_to_end import acme, monday  # noqa: F401 (acme is a fixture)


@pytest.mark.usefixtures("acme")
def test_a_nudge_slack_refuses_is_logged_with_its_method_and_error(
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_due_work(sessions, gateway, now=monday(0))
    run_due_work(sessions, gateway, now=monday(0) + timedelta(hours=23))
    emulator.error_next("chat.postMessage", "account_inactive", channel=CHAMPION)
    with caplog.at_level(logging.WARNING, logger="bot.escalation.posting"):
        run_due_work(sessions, gateway, now=monday(0) + timedelta(hours=32))  # the first miss: a nudge
    assert f"nudge to {CHAMPION} not sent: chat.postMessage failed: account_inactive" in caplog.text


def test_an_autopsy_submission_that_fails_after_the_ack_is_answered_by_dm(
    emulator: SlackEmulator, tmp_path: Path
) -> None:
    unreachable = sessionmaker(create_engine(f"sqlite:///{tmp_path / 'missing' / 'accountability.db'}"))
    context = BoltContext({"client": make_client(token=TOKEN, api_url=emulator.api_url)})
    view = {"private_metadata": json.dumps({"account_id": 1, "escalation_id": 1}), "state": {"values": {}}}
    record_autopsy_form({"user": {"id": CSM}, "view": view}, context, deps=Deps(sessions=unreachable))
    [answer] = emulator.calls_to("chat.postMessage")
    assert (answer.params["channel"], answer.params["text"]) == (CSM, SOMETHING_WENT_WRONG)
