"""`@bot done #12` in an account's shared channel answers that check-in; other mentions get a hint."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.checkins.mentions import HINT, answer_by_mention, is_shared_channel, parse_mention
from bot.errors import Refusal
from bot.recording import recorded
from bot.slack.events import typed_by_person
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import answer_ephemeral, redraw_checkin_message

log = logging.getLogger(__name__)


def on_app_mention(event: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps) -> None:
    if not typed_by_person(event, bot_user_id=context.bot_user_id):
        return
    team_id = installation_of(context).team_id
    channel_id, user_id = event["channel"], event["user"]
    gateway = SlackGateway(client)
    if not is_shared_channel(deps.sessions, team_id=team_id, channel_id=channel_id):
        return
    command = parse_mention(event["text"], bot_user_id=context.bot_user_id)
    if command is None:
        try:
            gateway.post_message(channel_id, text=HINT, thread_ts=event.get("thread_ts") or event["ts"])
        except SlackDeliveryError as exc:
            log.warning("hint to %s not posted: %s failed: %s", user_id, exc.method, exc.error)
        return
    now = deps.clock()
    try:
        done = recorded(
            lambda: answer_by_mention(
                deps.sessions,
                team_id=team_id,
                channel_id=channel_id,
                user_id=user_id,
                command=command,
                now=now,
            ),
            what="answer by mention",
        )
    except Refusal as refusal:
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        return
    redraw_checkin_message(gateway, done.answered, user_id=user_id)
    answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=done.confirmation)
