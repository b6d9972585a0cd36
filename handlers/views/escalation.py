"""The resolution note and the autopsy form behind an escalation's buttons."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.commands.forms import FormError
from bot.errors import Refusal
from bot.escalation.autopsy import autopsy_account_id, read_autopsy_form, read_resolve_form
from bot.escalation.handling import account_name, resolve
from bot.escalation.posting import redraw
from bot.recording import recorded
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import SOMETHING_WENT_WRONG, answer_dm

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


def _account_name(deps: Deps, view: dict[str, Any]) -> str:
    return account_name(deps.sessions, autopsy_account_id(view))


def ack_autopsy(ack: Ack, view: dict[str, Any], *, deps: Deps) -> None:
    try:
        read_autopsy_form(
            view, account_name=_account_name(deps, view), today=deps.clock().astimezone(UTC).date()
        )
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    ack()


def record_autopsy_form(body: dict[str, Any], context: BoltContext, *, deps: Deps) -> None:
    """Runs after the ack with the modal closed: the outcome, or that it failed, arrives as a DM."""
    user_id, gateway = body["user"]["id"], SlackGateway(context.client)
    try:
        text = _record_autopsy(body["view"], context, user_id=user_id, deps=deps, gateway=gateway)
    except Exception:
        log.exception("autopsy form failed for %s", user_id)
        text = SOMETHING_WENT_WRONG
    if text is not None:
        answer_dm(gateway, user_id=user_id, text=text)


def _record_autopsy(
    view: dict[str, Any], context: BoltContext, *, user_id: str, deps: Deps, gateway: SlackGateway
) -> str | None:
    """The reply to send; None when the form had a field error (the modal is still open, showing it)."""
    name = _account_name(deps, view)
    try:
        read_autopsy_form(view, account_name=name, today=deps.clock().astimezone(UTC).date())
    except FormError:
        return None
    invocation = command_runner.Invocation(installation=installation_of(context), user_id=user_id, text="")
    reply = command_runner.run(
        invocation,
        sessions=deps.sessions,
        gateway=gateway,
        admins=deps.admins,
        now=deps.clock(),
        form=lambda today: read_autopsy_form(view, account_name=name, today=today),
    )
    return reply.text
