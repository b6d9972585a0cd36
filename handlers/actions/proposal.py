"""Propose a new date (opens the form inside the ack), and Accept / Decline on a proposal: Accept is
written before Slack is acknowledged, Decline opens its note form first. Refusals are ephemeral and
write nothing."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.errors import Refusal
from bot.recording import recorded
from bot.renegotiation.message import ACCEPT, decline_form, propose_form, read_propose_value
from bot.renegotiation.posting import settled
from bot.renegotiation.proposals import answer_proposal, answerable, form_subject
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from handlers.replies import answer_dm, answer_ephemeral, open_form

OUT_OF_DATE = "That button is out of date. Please use the latest message."


def _tell(gateway: SlackGateway, *, channel_id: str | None, user_id: str, text: str) -> None:
    if channel_id:
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=text)
    else:
        answer_dm(gateway, user_id=user_id, text=text)


def on_propose(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Checked and opened inside the ack: the trigger id dies after three seconds."""
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    gateway = SlackGateway(client)
    subject = read_propose_value(str(action.get("value", "")))
    if subject is None:
        ack()
        _tell(gateway, channel_id=channel_id, user_id=user_id, text=OUT_OF_DATE)
        return
    kind, number = subject
    try:
        found = recorded(
            lambda: form_subject(
                deps.sessions, kind=kind, number=number, user_id=user_id, is_admin=user_id in deps.admins
            ),
            what="proposal form",
        )
        open_form(
            gateway,
            trigger_id=body["trigger_id"],
            view=propose_form(
                commitment_id=found.commitment_id,
                checkin_id=found.checkin_id,
                action=found.action,
                current=found.schedule_text,
                by_date=found.by_date,
                origin=channel_id,
            ),
        )
    except Refusal as refusal:
        ack()
        _tell(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        return
    ack()


def on_proposal_answer(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    gateway = SlackGateway(client)
    value = str(action.get("value", ""))
    if not value.isdigit():
        ack()
        _tell(gateway, channel_id=channel_id, user_id=user_id, text=OUT_OF_DATE)
        return
    proposal_id = int(value)
    try:
        if action.get("action_id") == ACCEPT:
            now = deps.clock()
            outcome = recorded(
                lambda: answer_proposal(
                    deps.sessions,
                    proposal_id=proposal_id,
                    user_id=user_id,
                    accept=True,
                    note=None,
                    admins=deps.admins,
                    now=now,
                ),
                what="acceptance",
            )
        else:
            _open_decline(
                gateway, body, proposal_id=proposal_id, user_id=user_id, channel_id=channel_id, deps=deps
            )
            outcome = None
    except Refusal as refusal:
        ack()
        _tell(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        return
    ack()
    if outcome is not None:
        settled(deps.sessions, gateway, outcome)


def _open_decline(
    gateway: SlackGateway,
    body: dict[str, Any],
    *,
    proposal_id: int,
    user_id: str,
    channel_id: str | None,
    deps: Deps,
) -> None:
    def action_of() -> str:
        with deps.sessions() as session:
            _, commitment = answerable(session, proposal_id, user_id=user_id, admins=deps.admins)
            return commitment.action

    action = recorded(action_of, what="decline form")
    open_form(
        gateway,
        trigger_id=body["trigger_id"],
        view=decline_form(proposal_id=proposal_id, action=action, origin=channel_id),
    )
