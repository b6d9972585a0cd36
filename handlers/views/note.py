"""The note behind Partly / Blocked / Not yet: checked in the ack (errors shown in the modal), then the
answer is recorded and the check-in message redrawn."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkins import NotRecorded, answer_checkin, open_for
from bot.forms import FormError, read_note_form
from bot.slack_gateway import SlackGateway
from handlers.actions.checkin import show_outcome
from handlers.deps import Deps


def ack_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], *, deps: Deps) -> None:
    try:
        checkin_id, _answer, _note = read_note_form(view)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    checkin = open_for(deps.sessions, checkin_id=checkin_id, user_id=body["user"]["id"])
    if isinstance(checkin, NotRecorded):
        ack(response_action="errors", errors={"note": checkin.reason})
        return
    ack()


def record_note(body: dict[str, Any], view: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    try:
        checkin_id, answer, note = read_note_form(view)
    except FormError:
        return  # the modal is still open, showing what to fix
    user_id = body["user"]["id"]
    gateway = SlackGateway(client)
    outcome = answer_checkin(
        deps.sessions, checkin_id=checkin_id, user_id=user_id, answer=answer, note=note, now=deps.clock()
    )
    show_outcome(gateway, outcome, user_id=user_id, channel_id=None)
