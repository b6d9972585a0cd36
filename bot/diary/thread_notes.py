"""Replies in the week's diary thread in an account's shared channel become diary entries.

The diary is the record both sides keep together, so anyone on the account may write in it there:
the vendor's people with a role on it (CSM, manager, owners of its commitments, accountability
admins), its champion and the customer's owners of its commitments. Their reply is already in the
thread for everyone to read, so it is recorded and never copied anywhere else. Anyone else in the
channel (another account's customer, a vendor colleague without a role) is told once that their
reply is not part of the diary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import members
from bot.checkins.message import truncate
from bot.checkins.notes import MAX_NOTE, typed_text
from bot.diary import entries as diary
from bot.diary.sharing import already_in_thread
from bot.slack.deliveries import first_delivery
from bot.slack.events import message_key
from bot.slack.mrkdwn import escape
from models import Account, Commitment, DiaryThread, Person, Side


@dataclass(frozen=True)
class DiaryReply:
    """What to tell the person who replied, only to them; None: nothing to say (a redelivery)."""

    ephemeral: str | None


def note_in_diary_thread(
    sessions: sessionmaker[Session],
    *,
    team_id: str,
    admins: frozenset[str],
    channel_id: str,
    thread_ts: str,
    user_id: str,
    text: str,
    message_ts: str,
    now: datetime,
) -> DiaryReply | None:
    """None when `thread_ts` is not a weekly diary thread of an account in this shared channel."""
    note = truncate(typed_text(text), MAX_NOTE)
    with sessions.begin() as session:
        found = session.execute(
            select(DiaryThread, Account)
            .join(Account, Account.id == DiaryThread.account_id)
            .where(
                DiaryThread.channel_id == channel_id,
                DiaryThread.message_ts == thread_ts,
                Account.shared_channel_id == channel_id,
                Account.team_id == team_id,
            )
        ).first()
        if found is None:
            return None
        thread, account = found
        on_account = user_id in admins or user_id in members(session, account)
        if on_account and note:
            entry = diary.record(
                session,
                account=account,
                kind="diary_note",
                text=f"Note from <@{user_id}>: {escape(note)}",
                at=now,
                actor_user_id=user_id,
                side=_side(session, account, user_id),
                dedupe_key=f"{message_key(channel_id=channel_id, message_ts=message_ts)}:diary_note",
            )
            if entry is None:
                return DiaryReply(None)  # a redelivery: recorded once, said once
            session.flush()
            already_in_thread(session, entry=entry, thread=thread, message_ts=message_ts, now=now)
            return DiaryReply(f"Added to {escape(account.name)}'s accountability diary.")
        name = account.name
    if not on_account and first_delivery(
        sessions, event_id=f"hint:{channel_id}:{thread_ts}:{user_id}", team_id=team_id, now=now
    ):
        return DiaryReply(
            f"Only the people on {escape(name)} write in its accountability diary, so your reply here "
            "isn't recorded in it."
        )
    return DiaryReply(None)


def _side(session: Session, account: Account, user_id: str) -> Side | None:
    """Which side wrote it, as the diary shows each entry: the champion is the customer; the CSM,
    manager and admins are the vendor; an owner is the side of the commitments they own here."""
    if user_id == account.champion_user_id:
        return Side.CUSTOMER
    if user_id in (account.csm_user_id, account.manager_user_id):
        return Side.VENDOR
    owned = session.scalar(
        select(Commitment.side)
        .join(Person, Person.id == Commitment.owner_id)
        .where(Commitment.account_id == account.id, Person.user_id == user_id)
        .limit(1)
    )
    return owned if owned is not None else Side.VENDOR
