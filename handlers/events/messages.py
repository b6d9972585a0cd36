"""Messages people type where the bot listens: in its DM, a note on the check-in it is about; in an
account's shared channel, a reply in a check-in's thread or in the week's diary thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.checkins.notes import attach_typed_note
from bot.checkins.thread_notes import note_in_checkin_thread
from bot.diary.thread_notes import note_in_diary_thread
from bot.errors import Refusal
from bot.recording import recorded
from bot.slack.events import mentions, typed_by_person
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import answer_dm, answer_ephemeral

CHANNEL_TYPES = ("channel", "group")


def on_message(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    if event.get("channel_type") == "im":
        on_direct_message(event, body, client, deps=deps)
    elif event.get("channel_type") in CHANNEL_TYPES:
        on_channel_message(event, client, context, deps=deps)


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


def on_channel_message(event: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps) -> None:
    """Only thread replies count; a message naming the bot is the mention listener's (Slack sends it
    to both), and the bot's own posts, edits, deletions and joins are nobody's words."""
    bot_user_id = context.bot_user_id
    thread_ts = event.get("thread_ts")
    if (
        not typed_by_person(event, bot_user_id=bot_user_id)
        or not thread_ts
        or thread_ts == event.get("ts")
        or mentions(event["text"], bot_user_id)
    ):
        return
    team_id = installation_of(context).team_id
    channel_id, user_id, text, message_ts = event["channel"], event["user"], event["text"], event["ts"]
    now = deps.clock()

    def record_reply() -> str | None:
        """A check-in's thread first, then the week's diary thread; any other thread is conversation."""
        answer = note_in_checkin_thread(
            deps.sessions, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts,
            user_id=user_id, text=text, message_ts=message_ts, now=now,
        ) or note_in_diary_thread(
            deps.sessions, team_id=team_id, admins=deps.admins, channel_id=channel_id, thread_ts=thread_ts,
            user_id=user_id, text=text, message_ts=message_ts, now=now,
        )  # fmt: skip
        return answer.ephemeral if answer else None

    try:
        said = recorded(record_reply, what="reply in a shared channel thread")
    except Refusal as refusal:
        said = refusal.message
    if said:
        answer_ephemeral(SlackGateway(client), channel_id=channel_id, user_id=user_id, text=said)
