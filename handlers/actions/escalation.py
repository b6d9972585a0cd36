"""Acknowledge / Resolve / Start autopsy on an escalation post. Forms open inside the ack; the post is
then updated in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.escalation.autopsy import autopsy_form, resolve_form
from bot.escalation.message import AUTOPSY, RESOLVE
from bot.escalation.rules import acknowledge, handling_refusal, publish
from bot.recording import Unrecorded, attempt
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from models import Account, Escalation


def _escalation_id(action: dict[str, Any]) -> int | None:
    value = str(action.get("value", ""))
    return int(value) if value.isdigit() else None


def _form(deps: Deps, action_id: str, escalation_id: int) -> dict[str, Any]:
    if action_id == RESOLVE:
        return resolve_form(escalation_id=escalation_id)
    with deps.sessions() as session:
        episode = session.get_one(Escalation, escalation_id)
        account = session.get_one(Account, episode.account_id)
        return autopsy_form(account_id=account.id, escalation_id=escalation_id, account_name=account.name)


def on_escalation(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Resolve and Start autopsy open their form inside the ack; Acknowledge is written before it."""
    escalation_id = _escalation_id(action)
    if escalation_id is None:
        ack()
        return
    gateway = SlackGateway(client)
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    refusal: str | None
    if action["action_id"] in (RESOLVE, AUTOPSY):
        checked = attempt(
            lambda: handling_refusal(
                deps.sessions, escalation_id=escalation_id, user_id=user_id, admins=deps.admins
            ),
            what="escalation form",
        )
        refusal = checked.reason if isinstance(checked, Unrecorded) else checked
        if refusal is None:
            client.views_open(
                trigger_id=body["trigger_id"], view=_form(deps, action["action_id"], escalation_id)
            )
        ack()
    else:
        now = deps.clock()
        written = attempt(
            lambda: acknowledge(
                deps.sessions, escalation_id=escalation_id, user_id=user_id, admins=deps.admins, now=now
            ),
            what="acknowledgement",
        )
        refusal = written.reason if isinstance(written, Unrecorded) else written
        ack()
        if refusal is None:
            publish(deps.sessions, gateway, escalation_id, now=now)
    if refusal is not None and channel_id:
        gateway.post_ephemeral(channel=channel_id, user=user_id, text=refusal)
