"""Listeners called directly, as Bolt would call them: a recording `ack`, a `context` carrying the
installation Bolt authorised, a real Web API client pointed at the emulator, and the real database."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from slack_bolt import Ack, BoltContext, BoltResponse, Respond
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


class WatchedAck(Ack):
    """Bolt's own `ack`, that also looks at the world the moment it is called: what a listener wrote
    or asked of Slack *before* acknowledging is what `seen` holds."""

    def __init__(self, look: Callable[[], Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.look = look
        self.seen: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        self.seen = self.look()
        return super().__call__(*args, **kwargs)


def passed_on() -> Callable[[], BoltResponse]:
    """The `next` a listener middleware calls to hand the request on."""
    return lambda: BoltResponse(status=200)


def command_payload(
    emulator: SlackEmulator, text: str, *, user_id: str, channel_id: str = "C0CSMDESK"
) -> dict[str, Any]:
    """A slash command as Bolt hands it to a listener (`command`), with a trigger id the emulator issued."""
    return {
        "command": "/accountability",
        "text": text,
        "user_id": user_id,
        "team_id": emulator.team_of(user_id),
        "channel_id": channel_id,
        "trigger_id": emulator.new_trigger_id(),
        "response_url": emulator.new_response_url(),
    }


def click_body(
    emulator: SlackEmulator, *, user_id: str, channel_id: str | None, message_ts: str | None = None
) -> dict[str, Any]:
    """A `block_actions` body for a button on a message (the `action` is passed alongside)."""
    body: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "team_id": emulator.team_of(user_id)},
        "trigger_id": emulator.new_trigger_id(),
        "response_url": emulator.new_response_url(),
    }
    if channel_id is not None:
        body["channel"] = {"id": channel_id}
        body["container"] = {"type": "message", "channel_id": channel_id, "message_ts": message_ts}
    return body


def button(action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": value}


def buttons_of(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button on a message."""
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }
