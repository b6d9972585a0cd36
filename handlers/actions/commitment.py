"""**Mark done** on one of a person's own open commitments in the App Home: written before Slack is
acknowledged; the escalation posts it resolved and the Home are redrawn after."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.accounts.commitments import Closed, owner_marks_done
from bot.errors import Refusal
from bot.escalation.posting import redraw_resolved
from bot.recording import recorded
from bot.slack.gateway import SlackGateway
from handlers.actions.checkin import refresh_home
from handlers.deps import Deps
from handlers.replies import answer_dm

OUT_OF_DATE = "That button is out of date. Please open the Home tab again."


def _mark(deps: Deps, *, commitment_id: int, user_id: str) -> Closed:
    now = deps.clock()
    with deps.sessions.begin() as session:
        return owner_marks_done(session, commitment_id=commitment_id, user_id=user_id, now=now)


def on_mark_done(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    user_id = body["user"]["id"]
    gateway = SlackGateway(client)
    value = str(action.get("value", ""))
    if not value.isdigit():
        ack()
        answer_dm(gateway, user_id=user_id, text=OUT_OF_DATE)
        return
    try:
        closed = recorded(lambda: _mark(deps, commitment_id=int(value), user_id=user_id), what="mark done")
    except Refusal as refusal:
        ack()
        answer_dm(gateway, user_id=user_id, text=refusal.message)
        return
    ack()
    redraw_resolved(deps.sessions, gateway, closed.resolved, now=deps.clock())
    refresh_home(gateway, user_id=user_id, deps=deps)
