"""Messages typed to the bot in its DM become notes on the check-in they are about."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.checkins.notes import attach_typed_note
from bot.errors import Refusal
from bot.recording import recorded
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from handlers.replies import answer_dm


def on_direct_message(event: dict[str, Any], body: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    if (
        event.get("channel_type") != "im"
        or event.get("subtype")
        or event.get("bot_id")
        or not event.get("text")
    ):
        return
    thread_ts = event.get("thread_ts")
    now = deps.clock()
    try:
        reply = recorded(
            lambda: attach_typed_note(
                deps.sessions,
                user_id=event["user"],
                text=event["text"],
                thread_ts=thread_ts,
                event_id=body.get("event_id") or f"{event['channel']}:{event['ts']}",
                now=now,
            ),
            what="typed note",
        )
    except Refusal as refusal:
        reply = refusal.message
    if reply:
        answer_dm(
            SlackGateway(client),
            user_id=event["user"],
            text=reply,
            channel_id=event["channel"],
            thread_ts=thread_ts or event["ts"],
        )
