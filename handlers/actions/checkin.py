"""A check-in button: Done and Snooze are written before Slack is acknowledged; Partly / Blocked /
Not yet open the note form first. The message is redrawn in place after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkins.answers import (
    Answered,
    AnswerOutcome,
    NotRecorded,
    answer_checkin,
    open_for,
    snooze_checkin,
)
from bot.checkins.message import (
    NOTE_ANSWERS,
    CheckInView,
    answer_from_action_id,
    message_blocks,
    message_text,
)
from bot.commands.forms import note_form
from bot.home import home_view
from bot.recording import Unrecorded, attempt
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from models import Answer

OUT_OF_DATE = "That button is out of date. Please use the latest check-in message."


def _parsed(action: dict[str, Any]) -> tuple[Answer, int] | None:
    answer = answer_from_action_id(action.get("action_id", ""))
    value = str(action.get("value", ""))
    return (answer, int(value)) if answer is not None and value.isdigit() else None


def on_answer(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Written first, acknowledged second, shown third: Slack's 200 means the answer is on record."""
    parsed = _parsed(action)
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    gateway = SlackGateway(client)
    if parsed is None:
        ack()
        if channel_id:
            gateway.post_ephemeral(channel=channel_id, user=user_id, text=OUT_OF_DATE)
        return
    answer, checkin_id = parsed
    outcome: AnswerOutcome | Unrecorded
    if answer in NOTE_ANSWERS:
        # The modal must open now: the trigger_id expires within 3 seconds.
        checkin = attempt(
            lambda: open_for(deps.sessions, checkin_id=checkin_id, user_id=user_id), what="open"
        )
        if isinstance(checkin, CheckInView):
            client.views_open(
                trigger_id=body["trigger_id"],
                view=note_form(checkin_id=checkin_id, answer=answer, action=checkin.action),
            )
            ack()
            return  # the note form's submission records the answer
        outcome = checkin
    else:
        now = deps.clock()
        if answer is Answer.SNOOZED:
            outcome = attempt(
                lambda: snooze_checkin(deps.sessions, checkin_id=checkin_id, user_id=user_id, now=now),
                what="snooze",
            )
        else:
            outcome = attempt(
                lambda: answer_checkin(
                    deps.sessions, checkin_id=checkin_id, user_id=user_id, answer=answer, now=now
                ),
                what="answer",
            )
    ack()
    show_outcome(gateway, outcome, user_id=user_id, channel_id=channel_id)
    if isinstance(outcome, Answered) and body.get("view", {}).get("type") == "home":
        gateway.publish_home(
            user_id=user_id, view=home_view(deps.sessions, user_id=user_id, now=deps.clock())
        )


def show_outcome(
    gateway: SlackGateway,
    outcome: AnswerOutcome | Unrecorded,
    *,
    user_id: str,
    channel_id: str | None,
) -> None:
    if isinstance(outcome, Answered):
        if outcome.channel_id and outcome.message_ts:
            gateway.update_message(
                channel=outcome.channel_id,
                ts=outcome.message_ts,
                text=message_text(outcome.views),
                blocks=message_blocks(outcome.views),
            )
    elif isinstance(outcome, NotRecorded | Unrecorded):
        where = channel_id or user_id  # a closed modal has no channel: the person's DM then
        if channel_id:
            gateway.post_ephemeral(channel=where, user=user_id, text=outcome.reason)
        else:
            gateway.post_message(where, text=outcome.reason)
