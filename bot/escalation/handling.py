"""People acting on an escalation post: Acknowledge, Resolve, Start autopsy.

Only the account's CSM, its manager and admins act on escalations. Each refusal is a `Refusal`
worded for the person; a write is one short transaction, well inside Slack's three seconds.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import Refusal
from bot.escalation import risk
from bot.escalation.autopsy import (
    AutopsyInput,
    autopsy_account_id,
    autopsy_form,
    read_autopsy_form,
    resolve_form,
)
from bot.escalation.episodes import record_episode, resolve_once
from bot.slack.modals import FieldProblem, FormError, field_value, modal, text_input
from bot.slack.mrkdwn import escape
from models import Account, Escalation, EscalationState
from models.db import rows_changed

ALREADY_RESOLVED = "This escalation is already resolved. Nothing was changed."
ALREADY_ACKNOWLEDGED = "This escalation was already acknowledged. Nothing was changed."
GONE = "I can't find that escalation any more."
CLEAR_RISK_FORM = "escalation_clear_risk_form"


def may_handle(session: Session, episode: Escalation, *, user_id: str, admins: frozenset[str]) -> None:
    """The account's CSM, its manager and admins act on escalations; anyone else is refused."""
    account = session.get_one(Account, episode.account_id)
    if user_id in admins or user_id in (account.csm_user_id, account.manager_user_id):
        return
    raise Refusal(
        f"Escalations on {escape(account.name)} are handled by <@{account.csm_user_id}> (CSM), its manager or an admin."
    )


def _handled_episode(
    session: Session, escalation_id: int, *, user_id: str, admins: frozenset[str]
) -> Escalation:
    """The unresolved episode this person may act on."""
    episode = session.get(Escalation, escalation_id)
    if episode is None:
        raise Refusal(GONE)
    may_handle(session, episode, user_id=user_id, admins=admins)
    if episode.state is EscalationState.RESOLVED:
        raise Refusal(ALREADY_RESOLVED)
    return episode


def handling_form(
    sessions: sessionmaker[Session],
    *,
    escalation_id: int,
    user_id: str,
    admins: frozenset[str],
    autopsy: bool,
) -> dict[str, Any]:
    """The Resolve or autopsy form, read for the 3-second ack once the person may act on the episode."""
    with sessions() as session:
        episode = _handled_episode(session, escalation_id, user_id=user_id, admins=admins)
        if not autopsy:
            return resolve_form(escalation_id=escalation_id)
        account = session.get_one(Account, episode.account_id)
        return autopsy_form(account_id=account.id, escalation_id=escalation_id, account_name=account.name)


def read_autopsy_submission(
    sessions: sessionmaker[Session], view: dict[str, Any], *, today: date
) -> AutopsyInput | FieldProblem:
    """The submitted autopsy, read once against the submitter's own date, or the field to flag."""
    try:
        return read_autopsy_form(
            view, account_name=account_name(sessions, autopsy_account_id(view)), today=today
        )
    except FormError as exc:
        return FieldProblem(exc.block_id, exc.problem)


def account_name(sessions: sessionmaker[Session], account_id: int) -> str:
    """The name an autopsy's corrective commitment is made under; empty once the account is gone."""
    with sessions() as session:
        account = session.get(Account, account_id)
        return account.name if account else ""


def acknowledge(
    sessions: sessionmaker[Session],
    *,
    escalation_id: int,
    user_id: str,
    admins: frozenset[str],
    now: datetime,
) -> None:
    """Records who took the episode on. The UPDATE is guarded on the episode being open, so of two
    people clicking at once only the first is recorded and the other is told."""
    with sessions.begin() as session:
        episode = _handled_episode(session, escalation_id, user_id=user_id, admins=admins)
        moved = rows_changed(
            session,
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.state == EscalationState.OPEN)
            .values(state=EscalationState.ACKNOWLEDGED, acknowledged_by=user_id, acknowledged_at=now),
        )
        if moved != 1:
            raise Refusal(ALREADY_ACKNOWLEDGED)
        record_episode(
            session,
            episode,
            account=session.get_one(Account, episode.account_id),
            kind="escalation_acknowledged",
            text=f"<@{user_id}> acknowledged the escalation and is following up.",
            at=now,
            actor_user_id=user_id,
        )


def resolve(
    sessions: sessionmaker[Session],
    *,
    escalation_id: int,
    user_id: str,
    note: str,
    admins: frozenset[str],
    now: datetime,
) -> None:
    """Resolved by hand with the person's note; a resolution racing another is refused, not doubled."""
    with sessions.begin() as session:
        episode = _handled_episode(session, escalation_id, user_id=user_id, admins=admins)
        account = session.get_one(Account, episode.account_id)
        if not resolve_once(session, episode, account=account, by=user_id, note=note, now=now):
            raise Refusal(ALREADY_RESOLVED)


def clear_risk_form(
    sessions: sessionmaker[Session], *, escalation_id: int, user_id: str, admins: frozenset[str]
) -> dict[str, Any]:
    """The reason form behind Clear risk, opened once the person may clear this account's mark."""
    with sessions() as session:
        episode = session.get(Escalation, escalation_id)
        if episode is None:
            raise Refusal(GONE)
        account = session.get_one(Account, episode.account_id)
        risk.may_clear(account, user_id=user_id, admins=admins)
        if not account.at_risk:
            raise Refusal(risk.NOT_AT_RISK.format(name=escape(account.name)))
        return modal(
            callback_id=CLEAR_RISK_FORM,
            title="Clear risk",
            submit="Clear risk",
            private_metadata=json.dumps({"escalation_id": escalation_id}),
            blocks=[
                text_input(
                    "reason",
                    f"Why is {account.name[:60]} no longer at risk?",
                    max_length=risk.MAX_REASON,
                    multiline=True,
                )
            ],
        )


def read_clear_risk_form(view: dict[str, Any]) -> tuple[int, str]:
    reason = field_value(view["state"]["values"], "reason")
    if not reason:
        raise FormError("reason", risk.REASON_NEEDED)
    return int(json.loads(view["private_metadata"])["escalation_id"]), reason


def clear_risk_from_post(
    sessions: sessionmaker[Session],
    *,
    escalation_id: int,
    user_id: str,
    reason: str,
    admins: frozenset[str],
    now: datetime,
) -> None:
    """The account's mark cleared from the post that raised it, checked again in full on submission."""
    with sessions.begin() as session:
        episode = session.get(Escalation, escalation_id)
        if episode is None:
            raise Refusal(GONE)
        account = session.get_one(Account, episode.account_id)
        risk.may_clear(account, user_id=user_id, admins=admins)
        risk.clear_risk(session, account, by=user_id, reason=reason, now=now)
