"""The note behind "Not sure" on the weekly review: checked and written before Slack is acknowledged
(a problem keeps the form open, saying what), then the review is redrawn in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.errors import Refusal
from bot.recording import recorded
from bot.review.answers import NOT_SHOWN, record_answer, redraw
from bot.review.message import read_unsure_form
from bot.slack.gateway import SlackGateway
from bot.slack.modals import FormError
from handlers.deps import Deps, installation_of
from handlers.replies import answer_ephemeral


def on_review_note(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    try:
        review_id, note = read_unsure_form(view)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    user_id, now = body["user"]["id"], deps.clock()
    team_id = installation_of(context).team_id
    try:
        changed = recorded(
            lambda: record_answer(
                deps.sessions,
                review_id=review_id,
                user_id=user_id,
                team_id=team_id,
                confident=False,
                note=note,
                now=now,
            ),
            what="review note",
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={"note": refusal.message})
        return
    ack()
    gateway = SlackGateway(client)
    if changed:
        shown = redraw(deps.sessions, gateway, review_id)
        if not shown.shown:
            answer_ephemeral(gateway, channel_id=shown.channel_id, user_id=user_id, text=NOT_SHOWN)
