"""Yes / Not sure on the weekly review: Yes is written before Slack is acknowledged; Not sure opens
its note form inside the ack (the note is recorded on submit). The review is redrawn after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.errors import Refusal
from bot.recording import recorded
from bot.review.answers import NOT_SHOWN, check_answerable, record_answer, redraw
from bot.review.message import UNSURE, unsure_form
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import answer_ephemeral, open_form


def on_review_answer(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    value = str(action.get("value", ""))
    if not value.isdigit():
        ack()
        return
    review_id, user_id = int(value), body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    # The vendor is the installation, never the payload's team: a customer clicks with their own.
    team_id = installation_of(context).team_id
    gateway = SlackGateway(client)
    try:
        if action.get("action_id") == UNSURE:
            name = recorded(
                lambda: check_answerable(
                    deps.sessions, review_id=review_id, user_id=user_id, team_id=team_id
                ),
                what="review form",
            )
            open_form(
                gateway,
                trigger_id=body["trigger_id"],
                view=unsure_form(review_id=review_id, account_name=name),
            )
            ack()
            return
        now = deps.clock()
        changed = recorded(
            lambda: record_answer(
                deps.sessions,
                review_id=review_id,
                user_id=user_id,
                team_id=team_id,
                confident=True,
                note=None,
                now=now,
            ),
            what="review answer",
        )
    except Refusal as refusal:
        ack()
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        return
    ack()
    if changed and not redraw(deps.sessions, gateway, review_id).shown:
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=NOT_SHOWN)
