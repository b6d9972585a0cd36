"""A check-in button: record the answer once, then show it in place of the buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkin_message import answer_from_action_id, answered_blocks, answered_text
from bot.checkins import Answered, answer_checkin
from bot.home import home_view
from bot.slack_gateway import SlackGateway
from handlers.deps import Deps

OUT_OF_DATE = "That button is out of date. Please use the latest check-in message."


def ack_answer(ack: Ack) -> None:
    ack()


def record_answer(body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    gateway = SlackGateway(client)
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    answer = answer_from_action_id(action.get("action_id", ""))
    value = str(action.get("value", ""))
    if answer is None or not value.isdigit():
        if channel_id:
            gateway.post_ephemeral(channel=channel_id, user=user_id, text=OUT_OF_DATE)
        return
    outcome = answer_checkin(
        deps.sessions,
        checkin_id=int(value),
        user_id=user_id,
        answer=answer,
        now=deps.clock(),
    )
    if isinstance(outcome, Answered):
        if outcome.channel_id and outcome.message_ts:
            gateway.update_message(
                channel=outcome.channel_id,
                ts=outcome.message_ts,
                text=answered_text(outcome.view),
                blocks=answered_blocks(outcome.view),
            )
    elif channel_id:
        gateway.post_ephemeral(channel=channel_id, user=user_id, text=outcome.reason)
    if body.get("view", {}).get("type") == "home":
        gateway.publish_home(user_id=user_id, view=home_view(deps.sessions, user_id=user_id))
