"""Acknowledge / Resolve / Start autopsy on an escalation post. Forms open inside the ack; the post is
then updated in place."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.errors import Refusal
from bot.escalation.handling import acknowledge, clear_risk_form, handling_form
from bot.escalation.message import AUTOPSY, CLEAR_RISK, RESOLVE
from bot.escalation.posting import redraw
from bot.escalation.signoff import request_blocks, sign_off
from bot.recording import recorded
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from handlers.deps import Deps
from handlers.replies import answer_ephemeral, open_form

log = logging.getLogger(__name__)


def _escalation_id(action: dict[str, Any]) -> int | None:
    value = str(action.get("value", ""))
    return int(value) if value.isdigit() else None


def _open_form(
    client: WebClient, body: dict[str, Any], action: dict[str, Any], *, escalation_id: int, deps: Deps
) -> None:
    """Checked and opened inside the ack: the trigger id dies after three seconds."""
    if action["action_id"] == CLEAR_RISK:
        reason_form = recorded(
            lambda: clear_risk_form(
                deps.sessions, escalation_id=escalation_id, user_id=body["user"]["id"], admins=deps.admins
            ),
            what="clear-risk form",
        )
        open_form(SlackGateway(client), trigger_id=body["trigger_id"], view=reason_form)
        return
    form = recorded(
        lambda: handling_form(
            deps.sessions,
            escalation_id=escalation_id,
            user_id=body["user"]["id"],
            admins=deps.admins,
            autopsy=action["action_id"] == AUTOPSY,
        ),
        what="escalation form",
    )
    open_form(SlackGateway(client), trigger_id=body["trigger_id"], view=form)


def on_escalation(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Resolve and Start autopsy open their form inside the ack; Acknowledge is written before it."""
    escalation_id = _escalation_id(action)
    if escalation_id is None:
        ack()
        return
    gateway = SlackGateway(client)
    user_id, now = body["user"]["id"], deps.clock()
    channel_id = (body.get("channel") or {}).get("id")
    acknowledging = action["action_id"] not in (RESOLVE, AUTOPSY, CLEAR_RISK)
    refusal: Refusal | None = None
    try:
        if acknowledging:
            recorded(
                lambda: acknowledge(
                    deps.sessions, escalation_id=escalation_id, user_id=user_id, admins=deps.admins, now=now
                ),
                what="acknowledgement",
            )
        else:
            _open_form(client, body, action, escalation_id=escalation_id, deps=deps)
    except Refusal as exc:
        refusal = exc
    ack()
    if refusal is None and acknowledging:
        try:
            redraw(deps.sessions, gateway, escalation_id, now=now)
        except Refusal as exc:
            refusal = exc
    if refusal is not None:
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)


def on_sign_off(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Written before the ack; the request then shows it was signed. A second click changes nothing;
    someone not named is told so, only them."""
    value = str(action.get("value", ""))
    if not value.isdigit():
        ack()
        return
    gateway = SlackGateway(client)
    user_id, now = body["user"]["id"], deps.clock()
    channel_id = (body.get("channel") or {}).get("id")
    try:
        signed = recorded(
            lambda: sign_off(deps.sessions, autopsy_id=int(value), user_id=user_id, now=now), what="sign-off"
        )
    except Refusal as refusal:
        ack()
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        return
    ack()
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if not channel_id or not message_ts:
        return
    blocks = request_blocks(
        signed.autopsy_id, account=signed.account, created_by=signed.created_by, signed_at=signed.signed_at
    )
    done = " The autopsy is now complete." if signed.complete else ""
    try:
        gateway.update_message(
            channel=channel_id,
            ts=message_ts,
            text=f"You signed off the autopsy of {signed.account}.{done}",
            blocks=blocks,
        )
    except SlackDeliveryError as exc:
        log.warning("sign-off request not redrawn: %s failed: %s", exc.method, exc.error)
