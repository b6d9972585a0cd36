"""Appending to the accountability diary.

Entries are facts: never updated, never deleted. A `dedupe_key` names the fact ("answer of check-in 7"),
so a retried request or a double click that tries to write it again writes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.slack.mrkdwn import escape
from models import Account, CheckIn, Commitment, DiaryEntry, DiaryToShare, Side
from models.db import insert_unless_there


def record(
    session: Session,
    *,
    account: Account,
    kind: str,
    text: str,
    at: datetime,
    actor_user_id: str | None = None,
    side: Side | None = None,
    commitment_id: int | None = None,
    checkin_id: int | None = None,
    escalation_id: int | None = None,
    private: bool = False,
    dedupe_key: str | None = None,
    corrects_id: int | None = None,
) -> DiaryEntry | None:
    """Append one entry; None when an entry with the same `dedupe_key` is already there. One INSERT
    that the unique key turns into nothing for a fact already written (no read first, no savepoint:
    this sits inside the 3-second ack of every answer)."""
    values = {
        "team_id": account.team_id,
        "enterprise_id": account.enterprise_id,
        "account_id": account.id,
        "commitment_id": commitment_id,
        "checkin_id": checkin_id,
        "escalation_id": escalation_id,
        "occurred_at": at,
        "actor_user_id": actor_user_id,
        "side": side,
        "kind": kind,
        "text": text,
        "private": private,
        "dedupe_key": dedupe_key,
        "corrects_id": corrects_id,
    }
    entry: DiaryEntry | None = session.scalars(
        insert_unless_there(session, DiaryEntry, values, unique=["dedupe_key"]).returning(DiaryEntry)
    ).one_or_none()
    if entry is None:
        return None
    if not private:
        session.execute(
            insert(DiaryToShare).values(
                entry_id=entry.id,
                team_id=account.team_id,
                enterprise_id=account.enterprise_id,
                account_id=account.id,
                occurred_at=at,
            )
        )
    return entry


def record_about(
    session: Session,
    subject: CheckIn | Commitment,
    *,
    kind: str,
    text: str,
    at: datetime,
    actor_user_id: str | None = None,
    private: bool = False,
    dedupe_key: str | None = None,
) -> DiaryEntry | None:
    """An entry about one commitment or one of its check-ins: its account, side and commitment come
    from the subject itself, so they can never disagree with it."""
    checkin = subject if isinstance(subject, CheckIn) else None
    commitment = subject.commitment if isinstance(subject, CheckIn) else subject
    return record(
        session,
        account=commitment.account,
        kind=kind,
        text=text,
        at=at,
        actor_user_id=actor_user_id,
        side=commitment.side,
        commitment_id=commitment.id,
        checkin_id=checkin.id if checkin else None,
        private=private,
        dedupe_key=dedupe_key,
    )


# The check-in code's name for the same thing.
record_checkin = record_about


def correct(
    session: Session, *, entry: DiaryEntry, account: Account, text: str, actor_user_id: str, at: datetime
) -> DiaryEntry:
    """A correction is a new entry pointing at the old one: what was recorded stays as it was."""
    correction = record(
        session,
        account=account,
        kind="correction",
        text=f"Correction to #{entry.id}: {escape(text)}",
        at=at,
        actor_user_id=actor_user_id,
        side=entry.side,
        commitment_id=entry.commitment_id,
        checkin_id=entry.checkin_id,
        private=entry.private,
        corrects_id=entry.id,
    )
    assert correction is not None
    return correction
