"""The note behind Partly / Blocked / Not yet: checked and written before Slack is acknowledged (a
problem keeps the modal open, saying what); after the ack the check-in message is redrawn. A Blocked answer that
names what held it up tells the people concerned at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.checkins.answers import redrawn, write_answer
from bot.checkins.note_form import read_note_form
from bot.dependencies.naming import NOT_ON_PLAN
from bot.dependencies.telling import ask_csm_to_add, tell_named_blocker
from bot.errors import Refusal
from bot.recording import recorded
from bot.slack.deliveries import Replayed
from bot.slack.gateway import SlackGateway
from bot.slack.modals import FormError
from handlers.deps import Deps
from handlers.middleware import REPLAY_KEY
from handlers.replies import redraw_checkin_message


def on_note(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    try:
        checkin_id, answer, note, blocked_by = read_note_form(view)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    user_id, now = body["user"]["id"], deps.clock()
    named = int(blocked_by) if blocked_by and blocked_by.isdigit() else None
    try:
        recorded(
            lambda: write_answer(
                deps.sessions,
                checkin_id=checkin_id,
                user_id=user_id,
                answer=answer,
                note=note,
                now=now,
                blocked_by=named,
                replay_key=context.get(REPLAY_KEY),
            ),
            what="note",
        )
    except Replayed:
        ack()  # carried out the first time: nothing more to do or say
        return
    except Refusal as refusal:
        ack(response_action="errors", errors={"blocked_by" if named else "note": refusal.message})
        return
    ack()
    deps.after_ack(
        show_note,
        SlackGateway(client),
        checkin_id=checkin_id,
        user_id=user_id,
        named=named,
        not_on_plan=blocked_by == NOT_ON_PLAN,
        deps=deps,
        now=now,
    )


def show_note(
    gateway: SlackGateway,
    *,
    checkin_id: int,
    user_id: str,
    named: int | None,
    not_on_plan: bool,
    deps: Deps,
    now: datetime,
) -> None:
    """After the ack: the answer shown on the check-in, and whoever a Blocked note names told."""
    redraw_checkin_message(gateway, redrawn(deps.sessions, checkin_id, now=now), user_id=user_id)
    if named is not None:
        tell_named_blocker(deps.sessions, gateway, checkin_id=checkin_id, now=now)
    elif not_on_plan:
        ask_csm_to_add(deps.sessions, gateway, checkin_id=checkin_id, now=now)
