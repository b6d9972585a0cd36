"""The resolution note and the autopsy form behind an escalation's buttons."""

from __future__ import annotations

import json
import logging
from datetime import UTC
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.commands.forms import FormError
from bot.escalation.autopsy import read_autopsy_form, read_resolve_form
from bot.escalation.rules import publish, resolve
from bot.recording import Unrecorded, attempt
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from models import Account


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
    written = attempt(
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
    refusal = written.reason if isinstance(written, Unrecorded) else written
    if refusal is not None:
        ack(response_action="errors", errors={"note": refusal})
        return
    ack()
    publish(deps.sessions, SlackGateway(client), escalation_id, now=now)


def _account_name(deps: Deps, view: dict[str, Any]) -> str:
    with deps.sessions() as session:
        account = session.get(Account, int(json.loads(view["private_metadata"])["account_id"]))
        return account.name if account else ""


def ack_autopsy(ack: Ack, view: dict[str, Any], *, deps: Deps) -> None:
    try:
        read_autopsy_form(
            view, account_name=_account_name(deps, view), today=deps.clock().astimezone(UTC).date()
        )
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    ack()


def record_autopsy_form(
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
    *,
    deps: Deps,
) -> None:
    name = _account_name(deps, view)
    try:
        read_autopsy_form(view, account_name=name, today=deps.clock().astimezone(UTC).date())
    except FormError:
        return  # the modal is still open, showing what to fix
    user_id = body["user"]["id"]
    invocation = command_runner.Invocation(
        installation=installation_of(context),
        user_id=user_id,
        text="",
    )
    reply = command_runner.run(
        invocation,
        sessions=deps.sessions,
        gateway=SlackGateway(client),
        admins=deps.admins,
        now=deps.clock(),
        form=lambda today: read_autopsy_form(view, account_name=name, today=today),
    )
    SlackGateway(client).post_message(user_id, text=reply.text)
