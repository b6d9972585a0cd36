"""The propose form and the note behind a Decline: checked and written before Slack is acknowledged
(a problem keeps the modal open, saying what), then the other side is asked or the proposer told."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkins.recurrence import ScheduleError
from bot.errors import Refusal
from bot.recording import recorded
from bot.renegotiation.message import read_decline_form, read_propose_form
from bot.renegotiation.posting import proposed_reply, settled
from bot.renegotiation.proposals import answer_proposal, create_proposal, owner_today
from bot.renegotiation.schedule import parse_new_schedule
from bot.slack.gateway import SlackGateway
from bot.slack.modals import FormError
from handlers.deps import Deps
from handlers.replies import answer_dm, answer_ephemeral


def on_propose_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    user_id, now = body["user"]["id"], deps.clock()
    try:
        form = read_propose_form(view)
        today = owner_today(deps.sessions, form.commitment_id, now=now)
        try:
            new = parse_new_schedule(form.new, today=today, due_by_date=form.by_date)
        except ScheduleError as exc:
            raise FormError("new", str(exc)) from exc
        proposed = recorded(
            lambda: create_proposal(
                deps.sessions,
                commitment_id=form.commitment_id,
                checkin_id=form.checkin_id,
                user_id=user_id,
                is_admin=user_id in deps.admins,
                new=new,
                reason=form.reason,
                now=now,
            ),
            what="proposal",
        )
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    except Refusal as refusal:
        ack(response_action="errors", errors={"new": refusal.message})
        return
    ack()
    gateway = SlackGateway(client)
    reply = proposed_reply(deps.sessions, gateway, proposed, now=now)
    if form.origin and not form.origin.startswith("D"):
        answer_ephemeral(gateway, channel_id=form.origin, user_id=user_id, text=reply)
    else:
        answer_dm(gateway, user_id=user_id, text=reply)


def on_decline_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    user_id, now = body["user"]["id"], deps.clock()
    try:
        proposal_id, note, _origin = read_decline_form(view)
        outcome = recorded(
            lambda: answer_proposal(
                deps.sessions,
                proposal_id=proposal_id,
                user_id=user_id,
                accept=False,
                note=note,
                admins=deps.admins,
                now=now,
            ),
            what="decline",
        )
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    except Refusal as refusal:
        ack(response_action="errors", errors={"note": refusal.message})
        return
    ack()
    settled(deps.sessions, SlackGateway(client), outcome)
