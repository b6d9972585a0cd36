"""Escalation work that fails after Slack has its acknowledgement is logged with the Slack method and
error (the autopsy form's answer when it fails: tests/handlers/test_form_listeners.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION
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
