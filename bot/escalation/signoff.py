"""Each participant of an autopsy signs it off; it is complete when all have.

The seeds' rule: customer success manages the rescue only when every executive leader of the
account's lifecycle agrees to find out what went wrong. Naming them on the autopsy and asking each
for a sign-off makes that agreement a record, and the digest shows the autopsies still waiting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.working_days import add_working_days
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.slack.errors import plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Autopsy, AutopsyParticipant
from models.db import rows_changed

log = logging.getLogger(__name__)

SIGN_OFF = "autopsy_sign_off"
OVERDUE_WORKING_DAYS = 5
NOT_NAMED = "Only the people named on this autopsy sign it off. Nothing was changed."
GONE = "I can't find that autopsy any more."


def request_text(account: str, created_by: str) -> str:
    return (
        f"<@{created_by}> named you on the autopsy of *{escape(account)}*: why the account went at risk "
        "and what is being done about it. Read it in `/accountability diary "
        f"{account}`, then sign it off to say you take part."
    )


def request_blocks(
    autopsy_id: int, *, account: str, created_by: str, signed_at: datetime | None
) -> list[dict[str, Any]]:
    text = request_text(account, created_by)
    if signed_at is not None:
        return [
            SectionBlock(text=MarkdownTextObject(text=f"{text}\n✅ You signed it off.")).to_dict(),
        ]
    button = ButtonElement(text="Sign off", action_id=SIGN_OFF, value=str(autopsy_id), style="primary")
    return [
        SectionBlock(text=MarkdownTextObject(text=text)).to_dict(),
        ActionsBlock(block_id=f"autopsy:{autopsy_id}", elements=[button]).to_dict(),
    ]


def request_sign_offs(sessions: sessionmaker[Session], gateway: SlackGateway, autopsy_id: int) -> list[str]:
    """A DM with a Sign off button to each participant not yet asked; where Slack refuses, the words
    for the person who recorded the autopsy (the participant can still be asked again by them)."""
    with sessions() as session:
        autopsy = session.get_one(Autopsy, autopsy_id)
        account = session.get_one(Account, autopsy.account_id).name
        asked = [
            p.user_id
            for p in session.scalars(
                select(AutopsyParticipant).where(
                    AutopsyParticipant.autopsy_id == autopsy_id, AutopsyParticipant.message_ts.is_(None)
                )
            )
        ]
        created_by = autopsy.created_by
    problems: list[str] = []
    for user_id in asked:
        try:
            posted = gateway.post_message(
                user_id,
                text=request_text(account, created_by),
                blocks=request_blocks(autopsy_id, account=account, created_by=created_by, signed_at=None),
            )
        except SlackDeliveryError as exc:
            log.warning("sign-off request to %s not sent: %s failed: %s", user_id, exc.method, exc.error)
            problems.append(f"I couldn't ask <@{user_id}> to sign it off ({plain(exc.error)}).")
            continue
        with sessions.begin() as session:
            session.execute(
                update(AutopsyParticipant)
                .where(AutopsyParticipant.autopsy_id == autopsy_id, AutopsyParticipant.user_id == user_id)
                .values(channel_id=posted.channel, message_ts=posted.ts)
            )
    return problems


@dataclass(frozen=True)
class SignedOff:
    autopsy_id: int
    account: str
    created_by: str
    signed_at: datetime
    complete: bool


def sign_off(sessions: sessionmaker[Session], *, autopsy_id: int, user_id: str, now: datetime) -> SignedOff:
    """Records the participant's sign-off once (a second click changes nothing), and the autopsy's
    completion when theirs was the last; anyone not named is refused with nothing written."""
    with sessions.begin() as session:
        autopsy = session.get(Autopsy, autopsy_id)
        if autopsy is None:
            raise Refusal(GONE)
        participant = session.scalar(
            select(AutopsyParticipant).where(
                AutopsyParticipant.autopsy_id == autopsy_id, AutopsyParticipant.user_id == user_id
            )
        )
        if participant is None:
            raise Refusal(NOT_NAMED)
        account = session.get_one(Account, autopsy.account_id)
        moved = rows_changed(
            session,
            update(AutopsyParticipant)
            .where(AutopsyParticipant.id == participant.id, AutopsyParticipant.signed_off_at.is_(None))
            .values(signed_off_at=now),
        )
        session.refresh(participant)
        signed = list(
            session.scalars(
                select(AutopsyParticipant.signed_off_at).where(AutopsyParticipant.autopsy_id == autopsy_id)
            )
        )
        done = sum(1 for s in signed if s is not None)
        complete = done == len(signed)
        if moved == 1:
            diary.record(
                session,
                account=account,
                kind="autopsy_signed_off",
                text=f"<@{user_id}> signed off the autopsy of {escape(account.name)} ({done} of {len(signed)}).",
                at=now,
                actor_user_id=user_id,
                escalation_id=autopsy.escalation_id,
                dedupe_key=f"autopsy:{autopsy_id}:signed:{user_id}",
            )
            if complete:
                # Two last sign-offs racing both see it complete: the key keeps one entry.
                diary.record(
                    session,
                    account=account,
                    kind="autopsy_completed",
                    text=f"The autopsy of {escape(account.name)} is complete: all {len(signed)} taking part signed it off.",
                    at=now,
                    escalation_id=autopsy.escalation_id,
                    dedupe_key=f"autopsy:{autopsy_id}:complete",
                )
        assert participant.signed_off_at is not None
        return SignedOff(autopsy_id, account.name, autopsy.created_by, participant.signed_off_at, complete)


@dataclass(frozen=True)
class WaitingAutopsy:
    account: str
    created_at: datetime
    signed: int
    named: int
    waiting_on: tuple[str, ...]


def incomplete_autopsies(session: Session, accounts: list[Account], *, at: datetime) -> list[WaitingAutopsy]:
    """Autopsies recorded more than five working days before `at` that someone named has not signed."""
    by_id = {a.id: a for a in accounts}
    rows = session.execute(
        select(Autopsy, AutopsyParticipant.user_id, AutopsyParticipant.signed_off_at)
        .join(AutopsyParticipant, AutopsyParticipant.autopsy_id == Autopsy.id)
        .where(Autopsy.account_id.in_(list(by_id)), Autopsy.created_at <= at)
        .order_by(Autopsy.created_at, Autopsy.id, AutopsyParticipant.id)
    ).all()
    grouped: dict[int, tuple[Autopsy, list[tuple[str, datetime | None]]]] = {}
    for autopsy, user_id, signed_at in rows:
        grouped.setdefault(autopsy.id, (autopsy, []))[1].append((user_id, signed_at))
    waiting: list[WaitingAutopsy] = []
    for autopsy, people in grouped.values():
        unsigned = tuple(u for u, s in people if s is None)
        if not unsigned:
            continue
        account = by_id[autopsy.account_id]
        overdue_on = add_working_days(
            autopsy.created_at.date(), OVERDUE_WORKING_DAYS, holiday_country=account.holiday_country
        )
        if at.date() <= overdue_on:
            continue
        waiting.append(
            WaitingAutopsy(
                account.name, autopsy.created_at, len(people) - len(unsigned), len(people), unsigned
            )
        )
    return waiting
