"""A check-in button: Done records at once; Partly / Blocked / Not yet ask for a note first; Snooze
asks again on the next working morning. The message is then redrawn in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkin_message import NOTE_ANSWERS, CheckInView, answer_from_action_id, message_blocks, message_text
from bot.checkins import Answered, AnswerOutcome, NotRecorded, answer_checkin, open_for, snooze_checkin
from bot.forms import note_form
from bot.home import home_view
from bot.slack_gateway import SlackGateway
from handlers.deps import Deps
from models import Answer

OUT_OF_DATE = "That button is out of date. Please use the latest check-in message."


def _parsed(action: dict[str, Any]) -> tuple[Answer, int] | None:
    answer = answer_from_action_id(action.get("action_id", ""))
    value = str(action.get("value", ""))
    return (answer, int(value)) if answer is not None and value.isdigit() else None


def ack_answer(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    parsed = _parsed(action)
    if parsed is not None and parsed[0] in NOTE_ANSWERS:
        answer, checkin_id = parsed
        # The modal must open now: the trigger_id expires within 3 seconds.
        checkin = open_for(deps.sessions, checkin_id=checkin_id, user_id=body["user"]["id"])
        if isinstance(checkin, CheckInView):
            client.views_open(
                trigger_id=body["trigger_id"],
                view=note_form(checkin_id=checkin_id, answer=answer, action=checkin.action),
            )
    ack()


def record_answer(body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    gateway = SlackGateway(client)
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    parsed = _parsed(action)
    if parsed is None:
        if channel_id:
            gateway.post_ephemeral(channel=channel_id, user=user_id, text=OUT_OF_DATE)
        return
    answer, checkin_id = parsed
    if answer in NOTE_ANSWERS:
        checkin = open_for(deps.sessions, checkin_id=checkin_id, user_id=user_id)
        if isinstance(checkin, NotRecorded) and channel_id:
            gateway.post_ephemeral(channel=channel_id, user=user_id, text=checkin.reason)
        return  # otherwise the note form is open; its submission records the answer
    if answer is Answer.SNOOZED:
        outcome = snooze_checkin(deps.sessions, checkin_id=checkin_id, user_id=user_id, now=deps.clock())
    else:
        outcome = answer_checkin(
            deps.sessions, checkin_id=checkin_id, user_id=user_id, answer=answer, now=deps.clock()
        )
    show_outcome(gateway, outcome, user_id=user_id, channel_id=channel_id)
    if body.get("view", {}).get("type") == "home":
        gateway.publish_home(
            user_id=user_id, view=home_view(deps.sessions, user_id=user_id, now=deps.clock())
        )


def show_outcome(
    gateway: SlackGateway, outcome: AnswerOutcome, *, user_id: str, channel_id: str | None
) -> None:
    if isinstance(outcome, Answered):
        if outcome.channel_id and outcome.message_ts:
            gateway.update_message(
                channel=outcome.channel_id,
                ts=outcome.message_ts,
                text=message_text(outcome.views),
                blocks=message_blocks(outcome.views),
            )
    elif channel_id:
        gateway.post_ephemeral(channel=channel_id, user=user_id, text=outcome.reason)
