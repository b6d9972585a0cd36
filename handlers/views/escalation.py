"""The forms behind an escalation post's Resolve and Clear risk buttons (the autopsy form is read like
the other forms, in `forms`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    _write_then_redraw(
        ack,
        client,
        lambda: resolve(
            deps.sessions,
            escalation_id=escalation_id,
            user_id=user_id,
            note=note,
            admins=deps.admins,
            now=now,
        ),
        what="resolution",
        field="note",
        escalation_id=escalation_id,
        user_id=user_id,
        deps=deps,
    )


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
    _write_then_redraw(
        ack,
        client,
        lambda: clear_risk_from_post(
            deps.sessions,
            escalation_id=escalation_id,
            user_id=user_id,
            reason=reason,
            admins=deps.admins,
            now=now,
        ),
        what="clearing the risk",
        field="reason",
        escalation_id=escalation_id,
        user_id=user_id,
        deps=deps,
    )


def _write_then_redraw(
    ack: Ack,
    client: WebClient,
    write: Callable[[], object],
    *,
    what: str,
    field: str,
    escalation_id: int,
    user_id: str,
    deps: Deps,
) -> None:
    """Both forms of an escalation post: the write is durable before the ack (a refusal keeps the form
    open on `field`), then the post is redrawn; a redraw Slack refuses is told by DM, the form being closed."""
    try:
        recorded(write, what=what)
    except Refusal as refusal:
        ack(response_action="errors", errors={field: refusal.message})
        return
    ack()
    gateway = SlackGateway(client)
    try:
        redraw(deps.sessions, gateway, escalation_id, now=deps.clock())
    except Refusal as refusal:
        answer_dm(gateway, user_id=user_id, text=refusal.message)
