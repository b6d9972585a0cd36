"""I agree / Let's discuss on the joint plan: written before Slack is acknowledged, then shown on the plan."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.accounts.agreements import respond
from bot.errors import Refusal
from bot.recording import recorded
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from handlers.deps import Deps
from handlers.replies import answer_ephemeral

log = logging.getLogger(__name__)

PLAN_NOT_REDRAWN = (
    "Your answer is recorded, but I couldn't update the plan's message just now; "
    "it is in the diary, and the message shows it the next time it is redrawn."
)


def on_agreement(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    value = str(action.get("value", ""))
    if not value.isdigit():
        ack()
        return
    now = deps.clock()
    gateway = SlackGateway(client)
    try:
        outcome = recorded(
            lambda: respond(
                deps.sessions,
                agreement_id=int(value),
                user_id=user_id,
                action_id=action["action_id"],
                now=now,
            ),
            what="agreement",
        )
    except Refusal as refusal:
        ack()
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        return
    ack()
    try:
        gateway.update_message(
            channel=outcome.channel_id, ts=outcome.message_ts, text=outcome.text, blocks=outcome.blocks
        )
        if outcome.thread_note:
            gateway.post_message(outcome.channel_id, text=outcome.thread_note, thread_ts=outcome.message_ts)
    except SlackDeliveryError as exc:
        log.warning("plan message not redrawn for %s: %s failed: %s", user_id, exc.method, exc.error)
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=PLAN_NOT_REDRAWN)
