"""Carrying out one `/accountability` command or form for one person.

A command is parsed once per request, against the invoker's own date (their stored time zone; UTC for
someone never seen), and the parsed command is handed on: the ack refuses or opens a form with it, and
the work after the ack runs the same command. A refusal becomes the person's answer in `answered`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import CUSTOMER_REFUSAL, manage_refusal, may_manage
from bot.accounts.installation import Installation
from bot.accounts.people import identify, quick_actor
from bot.accounts.registry import find_account
from bot.checkins.schedule import zone
from bot.commands.execution import Execution
from bot.commands.forms import FORMS
from bot.commands.parsed import Command, OpenAutopsy, OpenForm
from bot.commands.replies import Reply, slack_did_not_answer
from bot.commands.subcommands import parse, subcommand_of
from bot.errors import Refusal
from bot.escalation.autopsy import AutopsyInput, autopsy_form
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from models import Person

__all__ = ["Reply"]  # handlers answer with the runner's Reply

log = logging.getLogger(__name__)

Result = TypeVar("Result")


@dataclass(frozen=True)
class Invocation:
    """A command or form submission: who sent it, and the installation (the vendor) it was sent to."""

    installation: Installation
    user_id: str
    text: str


@dataclass(frozen=True)
class AckAnswer:
    """What the 3-second ack does: open a modal (a trigger_id dies within 3 seconds), refuse with the
    reason and the right form, or simply acknowledge and leave the work for after it."""

    view: dict[str, Any] | None = None
    refusal: str | None = None


def answered(work: Callable[[], Result]) -> Result | Reply:
    """The one place a refusal, or a Slack call that failed, becomes what the person reads."""
    try:
        return work()
    except Refusal as exc:
        return Reply(exc.message)
    except SlackDeliveryError as exc:
        log.warning("command not carried out: %s failed: %s", exc.method, exc.error)
        return Reply(slack_did_not_answer(exc.error))


def invoker_today(
    sessions: sessionmaker[Session], *, installation: Installation, user_id: str, now: datetime
) -> date:
    """The invoker's own date, from the zone stored for them; UTC for someone never seen (no Slack
    call: this runs inside the 3-second ack)."""
    with sessions() as session:
        tz = session.scalar(
            select(Person.tz).where(Person.team_id == installation.team_id, Person.user_id == user_id)
        )
    return now.astimezone(zone(tz)).date()


def parse_request(
    text: str, *, sessions: sessionmaker[Session], installation: Installation, user_id: str, now: datetime
) -> Command | Reply:
    """The command, parsed once for the whole request, or the refusal to answer it with."""
    today = invoker_today(sessions, installation=installation, user_id=user_id, now=now)
    return answered(lambda: parse(text, today=today))


def answer_in_ack(
    parsed: Command | Reply,
    *,
    sessions: sessionmaker[Session],
    installation: Installation,
    user_id: str,
    payload_team_id: str | None,
    payload_enterprise_id: str | None,
    admins: frozenset[str],
) -> AckAnswer:
    """No Slack call: cheap enough for the ack. Forms open only for the vendor's people; what a form
    submits is judged again in full when it arrives."""
    if isinstance(parsed, Reply):
        return AckAnswer(refusal=parsed.text)
    if not isinstance(parsed, OpenForm | OpenAutopsy):
        return AckAnswer()
    opener = parsed

    def form() -> dict[str, Any]:
        with sessions() as session:
            actor = quick_actor(
                session,
                installation=installation,
                user_id=user_id,
                payload_team_id=payload_team_id,
                payload_enterprise_id=payload_enterprise_id,
                admins=admins,
            )
            if actor.is_external:
                raise Refusal(CUSTOMER_REFUSAL)
            if isinstance(opener, OpenForm):
                return FORMS[opener.form]()
            account = find_account(session, team_id=installation.team_id, name=opener.account)
            if not may_manage(actor, account):
                raise Refusal(manage_refusal(account))
            return autopsy_form(account_id=account.id, escalation_id=None, account_name=account.name)

    view = answered(form)
    return AckAnswer(refusal=view.text) if isinstance(view, Reply) else AckAnswer(view=view)


def answered_in_ack(parsed: Command | Reply) -> bool:
    """Refused, or a form opened, while acknowledging: nothing is left for after the ack."""
    return isinstance(parsed, Reply | OpenForm | OpenAutopsy)


def run(
    invocation: Invocation,
    *,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    admins: frozenset[str],
    now: datetime,
    command: Command | AutopsyInput | None = None,
    form: Callable[[date], Command | AutopsyInput] | None = None,
) -> Reply:
    """`command` is what the request was parsed into; `form` reads a submitted modal against the
    submitter's own date; with neither, `invocation.text` is parsed here."""

    def work() -> str | Reply:
        actor = identify(
            sessions,
            gateway,
            installation=invocation.installation,
            user_id=invocation.user_id,
            admins=admins,
            now=now,
        )
        today = now.astimezone(zone(actor.tz)).date()
        if command is not None:
            todo = command
        else:
            todo = form(today) if form is not None else parse(invocation.text, today=today)
        subcommand = subcommand_of(todo)
        if actor.is_external and not subcommand.customer_may(todo):
            raise Refusal(CUSTOMER_REFUSAL)
        return subcommand.execute(Execution(sessions=sessions, gateway=gateway, actor=actor, now=now), todo)

    result = answered(work)
    return result if isinstance(result, Reply) else Reply(result)
