"""The resolution note behind an escalation's Resolve button (the autopsy form is read like the other
forms, in `forms`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.errors import Refusal
from bot.escalation.autopsy import read_resolve_form
from bot.escalation.handling import clear_risk_from_post, read_clear_risk_form, resolve
from bot.escalation.posting import redraw
from bot.recording import recorded
from bot.slack.gateway import SlackGateway
from bot.slack.modals import FormError
from handlers.deps import Deps
from handlers.replies import answer_dm

log = logging.getLogger(__name__)


def on_resolve(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Written before the ack; a refusal or a database that didn't answer keeps the form open, saying so."""
    try:
        escalation_id, note = read_resolve_form(view)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    user_id, now = body["user"]["id"], deps.clock()
    try:
        recorded(
            lambda: resolve(
                deps.sessions,
                escalation_id=escalation_id,
                user_id=user_id,
                note=note,
                admins=deps.admins,
                now=now,
            ),
            what="resolution",
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={"note": refusal.message})
        return
    ack()
    gateway = SlackGateway(client)
    try:
        redraw(deps.sessions, gateway, escalation_id, now=now)
    except Refusal as refusal:
        answer_dm(gateway, user_id=user_id, text=refusal.message)  # the form is closed


def on_clear_risk(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """The reason is required; a refusal (not allowed, no longer at risk) keeps the form open, saying so."""
    try:
        escalation_id, reason = read_clear_risk_form(view)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    user_id, now = body["user"]["id"], deps.clock()
    try:
        recorded(
            lambda: clear_risk_from_post(
                deps.sessions,
                escalation_id=escalation_id,
                user_id=user_id,
                reason=reason,
                admins=deps.admins,
                now=now,
            ),
            what="clearing the risk",
        )
    except Refusal as refusal:
        ack(response_action="errors", errors={"reason": refusal.message})
        return
    ack()
    gateway = SlackGateway(client)
    try:
        redraw(deps.sessions, gateway, escalation_id, now=now)
    except Refusal as refusal:
        answer_dm(gateway, user_id=user_id, text=refusal.message)
