"""The joint plan put to the customer ("Is that fair?") and their recorded answer.

Each change to the customer's side of the plan makes a new version (`Account.plan_version`); the
champion agrees to a version, and only then do the customer commitments in it get check-ins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.accounts.access import Actor, manage_refusal, may_manage
from bot.accounts.plan_message import (
    AGREE,
    DISCUSS,
    answered_plan_blocks,
    commitment_line,
    plan_blocks,
    plan_summary,
)
from bot.accounts.registry import find_account
from bot.checkins.schedule import zone
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Agreement, Commitment, CommitmentStatus, Person, Side
from models.db import rows_changed

log = logging.getLogger(__name__)

RESPONSES = {AGREE: "agreed", DISCUSS: "discuss"}
LIVE = (CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)


def _live_commitments(session: Session, account_id: int) -> list[Commitment]:
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.account_id == account_id, Commitment.status.in_(LIVE))
            .options(joinedload(Commitment.owner))
            .order_by(Commitment.id)
        )
    )


def post_agreement(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    team_id: str,
    account_name: str,
    actor: Actor,
    now: datetime,
) -> str:
    with sessions.begin() as session:
        account = find_account(session, team_id=team_id, name=account_name)
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        agreement, commitments = _prepare_plan(session, account, now=now)
        agreement_id, channel = agreement.id, account.shared_channel_id
        text = plan_summary(account, agreement.version)
        blocks = plan_blocks(account, commitments, version=agreement.version, agreement_id=agreement.id)
    try:
        posted = gateway.post_message(channel, text=text, blocks=blocks)
    except SlackDeliveryError as exc:
        log.warning("plan not posted: %s failed: %s", exc.method, exc.error)
        if exc.error in ("not_in_channel", "channel_not_found"):
            raise Refusal(
                f"I can't post in <#{channel}>. Invite me to the channel (/invite @accountability), then try again."
            ) from exc
        raise
    with sessions.begin() as session:
        agreement = session.get_one(Agreement, agreement_id)
        agreement.channel_id, agreement.message_ts = posted.channel, posted.ts
        account = session.get_one(Account, agreement.account_id)
        diary.record(
            session,
            account=account,
            kind="agreement_posted",
            text=f"Version {agreement.version} of the joint plan was put to <@{account.champion_user_id}> for agreement.",
            at=now,
            actor_user_id=actor.user_id,
        )
        return f"Posted version {agreement.version} of {escape(account.name)}'s joint plan in <#{channel}> and asked <@{account.champion_user_id}> to agree."


def _prepare_plan(session: Session, account: Account, *, now: datetime) -> tuple[Agreement, list[Commitment]]:
    """The current version's agreement row, made or reset for posting, and the plan it puts; refused
    once that version is agreed."""
    commitments = _live_commitments(session, account.id)
    agreement = session.scalar(
        select(Agreement).where(Agreement.account_id == account.id, Agreement.version == account.plan_version)
    )
    if agreement is not None and agreement.response == "agreed":
        when = agreement.responded_at.astimezone(zone(None)) if agreement.responded_at else now
        raise Refusal(
            f"<@{agreement.responded_by}> already agreed to version {agreement.version} of {escape(account.name)}'s plan "
            f"({when:%d %b %Y}). Nothing new to agree to; change a customer commitment to make a new version."
        )
    if agreement is None:
        agreement = Agreement(
            team_id=account.team_id,
            enterprise_id=account.enterprise_id,
            account_id=account.id,
            version=account.plan_version,
            plan="",
            posted_at=now,
        )
        session.add(agreement)
    agreement.commitment_ids = ",".join(str(c.id) for c in commitments if c.side is Side.CUSTOMER)
    agreement.posted_at = now
    agreement.reminded_at = None
    agreement.plan = "\n".join(commitment_line(c) for c in commitments)
    session.flush()
    return agreement, commitments


@dataclass(frozen=True)
class Responded:
    channel_id: str
    message_ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_note: str | None


def respond(
    sessions: sessionmaker[Session], *, agreement_id: int, user_id: str, action_id: str, now: datetime
) -> Responded:
    """Record the champion's answer and say how to redraw the plan.

    Raises `Refusal` when nothing can be recorded, and also when the answer is recorded but the
    plan's message is unknown: the person is told so, and the answer stays written.
    """
    response = RESPONSES[action_id]
    with sessions.begin() as session:
        agreement, account = _answerable(session, agreement_id=agreement_id, user_id=user_id)
        _record_response(session, agreement, account, response=response, user_id=user_id, now=now)
        redraw = _redrawn(session, agreement, account, response=response, user_id=user_id, now=now)
    if redraw is None:
        raise Refusal("Recorded, but the plan's message could not be found to update.")
    return redraw


def _answerable(session: Session, *, agreement_id: int, user_id: str) -> tuple[Agreement, Account]:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise Refusal("I can't find that plan any more.")
    account = session.get_one(Account, agreement.account_id)
    if user_id != account.champion_user_id:
        raise Refusal(
            f"This plan is for <@{account.champion_user_id}>, {escape(account.name)}'s champion, to answer. Nothing was recorded."
        )
    if agreement.version != account.plan_version:
        raise Refusal(
            f"This is version {agreement.version} of the plan; it has changed since. Ask <@{account.csm_user_id}> "
            "to post the latest version. Nothing was recorded."
        )
    return agreement, account


def _record_response(
    session: Session, agreement: Agreement, account: Account, *, response: str, user_id: str, now: datetime
) -> None:
    # Guarded: a double click, or a click racing another, records the agreement once.
    moved = rows_changed(
        session,
        update(Agreement)
        .where(
            Agreement.id == agreement.id,
            (Agreement.response.is_(None)) | (Agreement.response == "discuss"),
        )
        .values(response=response, responded_by=user_id, responded_at=now),
    )
    if moved != 1:
        raise Refusal(f"You already agreed to version {agreement.version}. Thank you — nothing more to do.")
    session.refresh(agreement)
    if response == "agreed":
        _start_agreed_commitments(session, agreement, now=now)
    diary.record(
        session,
        account=account,
        kind=f"agreement_{response}",
        text=(
            f"<@{user_id}> agreed to version {agreement.version} of the joint plan."
            if response == "agreed"
            else f"<@{user_id}> asked to discuss version {agreement.version} of the joint plan."
        ),
        at=now,
        actor_user_id=user_id,
        side=Side.CUSTOMER,
        dedupe_key=f"agreement:{agreement.id}:{response}",
    )


def _redrawn(
    session: Session, agreement: Agreement, account: Account, *, response: str, user_id: str, now: datetime
) -> Responded | None:
    """The plan's message as it reads after the answer; None when the message is not known."""
    if agreement.channel_id is None or agreement.message_ts is None:
        return None
    champion = session.scalar(
        select(Person).where(Person.team_id == account.team_id, Person.user_id == user_id)
    )
    tz = zone(champion.tz if champion else None)
    when = f"{now.astimezone(tz):%a %d %b %Y %H:%M} ({tz.key})"
    commitments = _live_commitments(session, account.id)
    agreed = response == "agreed"
    blocks = (
        answered_plan_blocks(
            account, commitments, version=agreement.version, response=response, by=user_id, when=when
        )
        if agreed
        else plan_blocks(account, commitments, version=agreement.version, agreement_id=agreement.id)
    )
    return Responded(
        channel_id=agreement.channel_id,
        message_ts=agreement.message_ts,
        text=f"Joint plan for {escape(account.name)}, version {agreement.version}: "
        + ("agreed" if agreed else "to be discussed")
        + f" by <@{user_id}>.",
        blocks=blocks,
        thread_note=None
        if agreed
        else f"<@{account.csm_user_id}>, <@{user_id}> would like to discuss the plan before agreeing.",
    )


def _start_agreed_commitments(session: Session, agreement: Agreement, *, now: datetime) -> None:
    """Check-ins for the agreed customer commitments start from the moment of agreement, never before."""
    ids = [int(i) for i in agreement.commitment_ids.split(",") if i]
    if not ids:
        return
    for commitment in session.scalars(
        select(Commitment).where(Commitment.id.in_(ids), Commitment.agreed_at.is_(None))
    ):
        commitment.agreed_at = now
        if commitment.scheduled_through is None or commitment.scheduled_through < now:
            commitment.scheduled_through = now
