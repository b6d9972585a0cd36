"""The I'm away button: opens its form inside the ack (a trigger id dies after three seconds)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.errors import Refusal
from bot.people.away_form import away_form
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from handlers.replies import answer_dm, open_form


def on_away_open(ack: Ack, body: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    gateway = SlackGateway(client)
    channel_id = (body.get("channel") or {}).get("id")
    ack()
    try:
        open_form(gateway, trigger_id=body["trigger_id"], view=away_form(origin=channel_id))
    except Refusal as refusal:
        answer_dm(gateway, user_id=body["user"]["id"], text=refusal.message)
