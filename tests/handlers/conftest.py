"""Listeners called directly, as Bolt would call them: a recording `ack`, a `context` carrying the
installation Bolt authorised, a real Web API client pointed at the emulator, and the real database."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from slack_bolt import Ack, BoltContext, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.gateway import make_client
from handlers.deps import Deps
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, TOKEN, VENDOR_TEAM, Clock


def acked(ack: Ack) -> dict[str, Any]:
    """What the listener's ack told Slack: the JSON body Bolt would send back (empty: a plain ack)."""
    assert ack.response is not None, "the listener never acknowledged"
    body = ack.response.body
    return json.loads(body) if body else {}


@pytest.fixture
def ack() -> Ack:
    """Bolt's own `ack`, called directly: it keeps the response Bolt would send."""
    return Ack()  # type: ignore[no-untyped-call]


@pytest.fixture
def respond(emulator: SlackEmulator) -> Respond:
    """Bolt's own `respond`, posting to a response URL the emulator serves and records."""
    return Respond(response_url=emulator.new_response_url())


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return make_client(token=TOKEN, api_url=emulator.api_url)


@pytest.fixture
def context(client: WebClient) -> BoltContext:
    context = BoltContext({"client": client, "logger": logging.getLogger("tests.handlers")})
    context.set_authorize_result(
        AuthorizeResult(enterprise_id=None, team_id=VENDOR_TEAM, bot_token=TOKEN, bot_user_id="U0BOT")
    )
    return context


@pytest.fixture
def deps(sessions: sessionmaker[Session], clock: Clock) -> Deps:
    return Deps(sessions=sessions, admins=frozenset({ADMIN}), clock=clock)
