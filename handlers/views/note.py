"""The note behind Partly / Blocked / Not yet: checked and written before Slack is acknowledged (a
problem keeps the modal open, saying what), then the check-in message is redrawn. A Blocked answer that
names what held it up tells the people concerned at once."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkins.answers import answer_checkin
from bot.checkins.note_form import read_note_form
from bot.dependencies.naming import NOT_ON_PLAN
from bot.dependencies.telling import ask_csm_to_add, tell_named_blocker
from bot.errors import Refusal
from bot.recording import recorded
from bot.slack.gateway import SlackGateway
from bot.slack.modals import FormError
from handlers.deps import Deps
from handlers.replies import redraw_checkin_message


def on_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    try:
        checkin_id, answer, note, blocked_by = read_note_form(view)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    user_id, now = body["user"]["id"], deps.clock()
    named = int(blocked_by) if blocked_by and blocked_by.isdigit() else None
    try:
        answered = recorded(
            lambda: answer_checkin(
                deps.sessions,
                checkin_id=checkin_id,
                user_id=user_id,
                answer=answer,
                note=note,
                now=now,
                blocked_by=named,
            ),
            what="note",
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={"blocked_by" if named else "note": refusal.message})
        return
    ack()
    gateway = SlackGateway(client)
    redraw_checkin_message(gateway, answered, user_id=user_id)
    if named is not None:
        tell_named_blocker(deps.sessions, gateway, checkin_id=checkin_id, now=now)
    elif blocked_by == NOT_ON_PLAN:
        ask_csm_to_add(deps.sessions, gateway, checkin_id=checkin_id, now=now)
