"""The joint plan put to the customer ("Is that fair?") and their recorded answer.

Each change to the customer's side of the plan makes a new version (`Account.plan_version`); the
champion agrees to a version, and only then do the customer commitments in it get check-ins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.accounts.permissions import Actor, manage_refusal, may_manage
from bot.accounts.registry import find_account
from bot.checkins.message import SECTION_LIMIT, truncate
from bot.checkins.schedule import zone
from bot.checkins.working_days import working_morning_after
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.escalation.policy import policy_of
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Agreement, Commitment, CommitmentStatus, Person, Side
from models.db import rows_changed

AGREE = "agreement_agree"
DISCUSS = "agreement_discuss"
RESPONSES = {AGREE: "agreed", DISCUSS: "discuss"}
REMIND_AFTER_WORKING_DAYS = 2
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


def _commitment_line(commitment: Commitment) -> str:
    tz = zone(commitment.owner.tz).key
    paused = " _(paused)_" if commitment.status is CommitmentStatus.PAUSED else ""
    return f"• {commitment.label} <@{commitment.owner.user_id}> — “{escape(commitment.action)}”, {escape(commitment.schedule_text)} ({tz}){paused}"


def _side_section(title: str, commitments: list[Commitment]) -> SectionBlock:
    lines = [_commitment_line(c) for c in commitments] or ["• _nothing agreed yet_"]
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(f"*{title}*\n" + "\n".join(lines), SECTION_LIMIT))
    )


def plan_summary(account: Account, version: int) -> str:
    return truncate(
        f"Joint plan for {escape(account.name)} (version {version}). <@{account.champion_user_id}>, is that fair? "
        "Answer with I agree or Let's discuss.",
        SECTION_LIMIT,
    )


def _plan_body(account: Account, commitments: list[Commitment], version: int) -> list[Block]:
    outcome = account.desired_outcome or "_not recorded yet — ask your CSM to add it_"
    customer = [c for c in commitments if c.side is Side.CUSTOMER]
    vendor = [c for c in commitments if c.side is Side.VENDOR]
    return [
        HeaderBlock(text=truncate(f"Joint plan — {account.name} (version {version})", 150)),
        SectionBlock(
            text=MarkdownTextObject(text=truncate(f"*Desired Outcome*\n{escape(outcome)}", SECTION_LIMIT))
        ),
        _side_section(f"What {escape(account.name)} will do", customer),
        _side_section("What we, the vendor, will do", vendor),
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"*How we keep each other on track*\n{policy_of(account).text()}", SECTION_LIMIT
                )
            )
        ),
    ]


def plan_blocks(
    account: Account, commitments: list[Commitment], *, version: int, agreement_id: int
) -> list[dict[str, Any]]:
    blocks = [
        *_plan_body(account, commitments, version),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"<@{account.champion_user_id}>, the customer commitments above start being checked on once "
                "you agree. Is that fair?"
            )
        ),
        ActionsBlock(
            block_id=f"agreement:{agreement_id}",
            elements=[
                ButtonElement(text="I agree", action_id=AGREE, value=str(agreement_id), style="primary"),
                ButtonElement(text="Let's discuss", action_id=DISCUSS, value=str(agreement_id)),
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]


def answered_plan_blocks(
    account: Account, commitments: list[Commitment], *, version: int, response: str, by: str, when: str
) -> list[dict[str, Any]]:
    if response == "agreed":
        status = f"✅ <@{by}> agreed to version {version} on {when}. Check-ins follow this plan."
    else:
        status = (
            f"💬 <@{by}> would like to discuss version {version} ({when}). <@{account.csm_user_id}> will follow up; "
            "the buttons stay until the plan is agreed."
        )
    blocks: list[Block] = [
        *_plan_body(account, commitments, version),
        ContextBlock(elements=[MarkdownTextObject(text=status)]),
    ]
    return [b.to_dict() for b in blocks]


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
        commitments = _live_commitments(session, account.id)
        customer_ids = [c.id for c in commitments if c.side is Side.CUSTOMER]
        agreement = session.scalar(
            select(Agreement).where(
                Agreement.account_id == account.id, Agreement.version == account.plan_version
            )
        )
        if agreement is not None and agreement.response == "agreed":
            when = agreement.responded_at.astimezone(zone(None)) if agreement.responded_at else now
            return (
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
        agreement.commitment_ids = ",".join(str(i) for i in customer_ids)
        agreement.posted_at = now
        agreement.reminded_at = None
        session.flush()
        blocks = plan_blocks(account, commitments, version=agreement.version, agreement_id=agreement.id)
        text = plan_summary(account, agreement.version)
        agreement.plan = "\n".join(_commitment_line(c) for c in commitments)
        agreement_id, channel = agreement.id, account.shared_channel_id
    try:
        posted = gateway.post_message(channel, text=text, blocks=blocks)
    except SlackDeliveryError as exc:
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


@dataclass(frozen=True)
class Responded:
    channel_id: str
    message_ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_note: str | None


@dataclass(frozen=True)
class NotResponded:
    reason: str


def respond(
    sessions: sessionmaker[Session], *, agreement_id: int, user_id: str, action_id: str, now: datetime
) -> Responded | NotResponded:
    response = RESPONSES[action_id]
    with sessions.begin() as session:
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            return NotResponded("I can't find that plan any more.")
        account = session.get_one(Account, agreement.account_id)
        if user_id != account.champion_user_id:
            return NotResponded(
                f"This plan is for <@{account.champion_user_id}>, {escape(account.name)}'s champion, to answer. Nothing was recorded."
            )
        if agreement.version != account.plan_version:
            return NotResponded(
                f"This is version {agreement.version} of the plan; it has changed since. Ask <@{account.csm_user_id}> "
                "to post the latest version. Nothing was recorded."
            )
        # Guarded: a double click, or a click racing another, records the agreement once.
        moved = rows_changed(
            session,
            update(Agreement)
            .where(
                Agreement.id == agreement_id,
                (Agreement.response.is_(None)) | (Agreement.response == "discuss"),
            )
            .values(response=response, responded_by=user_id, responded_at=now),
        )
        if moved != 1:
            return NotResponded(
                f"You already agreed to version {agreement.version}. Thank you — nothing more to do."
            )
        session.refresh(agreement)
        if response == "agreed":
            _start_agreed_commitments(session, agreement, now=now)
        champion = session.scalar(
            select(Person).where(Person.team_id == account.team_id, Person.user_id == user_id)
        )
        tz = zone(champion.tz if champion else None)
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
        commitments = _live_commitments(session, account.id)
        when = f"{now.astimezone(tz):%a %d %b %Y %H:%M} ({tz.key})"
        if agreement.channel_id is None or agreement.message_ts is None:
            return NotResponded("Recorded, but the plan's message could not be found to update.")
        thread_note = (
            f"<@{account.csm_user_id}>, <@{user_id}> would like to discuss the plan before agreeing."
            if response == "discuss"
            else None
        )
        blocks = (
            answered_plan_blocks(
                account, commitments, version=agreement.version, response=response, by=user_id, when=when
            )
            if response == "agreed"
            else plan_blocks(account, commitments, version=agreement.version, agreement_id=agreement.id)
        )
        return Responded(
            channel_id=agreement.channel_id,
            message_ts=agreement.message_ts,
            text=f"Joint plan for {escape(account.name)}, version {agreement.version}: "
            + ("agreed" if response == "agreed" else "to be discussed")
            + f" by <@{user_id}>.",
            blocks=blocks,
            thread_note=thread_note,
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


def remind_pending(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """One courteous DM to a champion whose plan has waited two working days for an answer."""
    with sessions() as session:
        pending: list[tuple[Agreement, Account]] = [
            (agreement, account)
            for agreement, account in session.execute(
                select(Agreement, Account)
                .join(Account, Account.id == Agreement.account_id)
                .where(
                    Agreement.response.is_(None),
                    Agreement.reminded_at.is_(None),
                    Agreement.message_ts.is_not(None),
                    Agreement.version == Account.plan_version,
                )
            )
        ]
        champions = {
            p.user_id: p
            for p in session.scalars(
                select(Person).where(Person.user_id.in_([a.champion_user_id for _, a in pending]))
            )
        }
    sent = 0
    for agreement, account in pending:
        champion = champions.get(account.champion_user_id)
        tz = zone(champion.tz if champion else None)
        due = working_morning_after(
            agreement.posted_at, REMIND_AFTER_WORKING_DAYS, tz=tz, holiday_country=account.holiday_country
        )
        if now < due:
            continue
        with sessions.begin() as session:
            claimed = rows_changed(
                session,
                update(Agreement)
                .where(
                    Agreement.id == agreement.id,
                    Agreement.reminded_at.is_(None),
                    Agreement.response.is_(None),
                )
                .values(reminded_at=now),
            )
        if claimed != 1:
            continue
        text = (
            f"Hello <@{account.champion_user_id}> — a gentle reminder that the joint plan for {escape(account.name)} is waiting "
            f"for your answer in <#{account.shared_channel_id}>. If something in it doesn't look right, "
            "“Let's discuss” is a perfectly good answer."
        )
        entry = (
            f"Reminder sent to <@{account.champion_user_id}> about version {agreement.version} of the plan."
        )
        try:
            gateway.post_message(account.champion_user_id, text=text)
        except SlackDeliveryError as exc:
            entry = f"The reminder about version {agreement.version} of the plan could not be delivered ({exc.error})."
        with sessions.begin() as session:
            diary.record(
                session,
                account=session.get_one(Account, account.id),
                kind="agreement_reminder",
                text=entry,
                at=now,
                dedupe_key=f"agreement:{agreement.id}:reminder",
            )
        sent += 1
    return sent
