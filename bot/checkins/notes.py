"""Notes typed in the bot's DM (or in a check-in's thread) go to the check-in they are about.

One set of rules wherever the note was typed: Slack's escaping undone and the text cleaned, capped in
length, and `private:` keeping a vendor owner's note to the vendor's team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.checkins.message import truncate
from bot.diary import entries as diary
from bot.slack.mrkdwn import clean, escape, unescape
from models import CheckIn, CheckInState, Commitment, Person, Side

PRIVATE_PREFIX = "private:"
MAX_NOTE = 2000


@dataclass(frozen=True)
class Noted:
    """A note written to the diary: where it went, for the reply to the person."""

    action: str
    account_name: str
    private: bool


def typed_text(text: str) -> str:
    """What the person typed, as stored: Slack escapes it (`&lt;` for `<`); the stored note is the raw
    text, escaped again whenever it is shown."""
    return clean(unescape(text)).strip()


def note_on(
    session: Session, checkin: CheckIn, *, user_id: str, text: str, dedupe_key: str, now: datetime
) -> Noted | None:
    """Record `text` (as Slack sent it) as a note on `checkin`; None when `dedupe_key` was recorded
    already (a redelivery: nothing is added twice). The caller has checked the person owns it."""
    commitment = checkin.commitment
    note = typed_text(text)
    # Vendor-side people may keep a note between themselves; the customer's notes are always shared.
    private = commitment.side is Side.VENDOR and note.lower().startswith(PRIVATE_PREFIX)
    if private:
        note = note[len(PRIVATE_PREFIX) :].strip()
    note = truncate(note, MAX_NOTE)
    recorded = diary.record_checkin(
        session,
        checkin,
        kind="note",
        text=f"Note on “{escape(commitment.action)}”: {escape(note)}",
        at=now,
        actor_user_id=user_id,
        private=private,
        dedupe_key=dedupe_key,
    )
    if recorded is None:
        return None
    if checkin.state is CheckInState.SENT:
        checkin.note = note if not checkin.note else truncate(f"{checkin.note}\n{note}", MAX_NOTE)
    return Noted(action=commitment.action, account_name=commitment.account.name, private=private)


def noted_reply(noted: Noted) -> str:
    where = "kept private to the vendor's team" if noted.private else "added to the shared diary"
    return f"Noted on your check-in for “{escape(noted.action)}” ({escape(noted.account_name)}) — {where}."


def attach_typed_note(
    sessions: sessionmaker[Session],
    *,
    user_id: str,
    text: str,
    thread_ts: str | None,
    event_id: str,
    now: datetime,
) -> str:
    """The reply to show the person: where the note went, or why it went nowhere."""
    with sessions.begin() as session:
        query = (
            select(CheckIn)
            .join(CheckIn.commitment)
            .join(Commitment.owner)
            .where(Person.user_id == user_id)
            .options(joinedload(CheckIn.commitment).joinedload(Commitment.account))
        )
        checkin = None
        if thread_ts:
            checkin = session.scalar(
                query.where(CheckIn.message_ts == thread_ts).order_by(CheckIn.scheduled_at.desc())
            )
        if checkin is None:
            # Not in a thread, or in the thread of a message a reminder has since replaced.
            checkin = session.scalar(
                query.where(CheckIn.state == CheckInState.SENT).order_by(CheckIn.scheduled_at.desc())
            )
        if checkin is None:
            return (
                "Thank you — there is no open check-in to attach that to, so it wasn't recorded. "
                "Notes typed here go with your latest open check-in."
            )
        noted = note_on(
            session, checkin, user_id=user_id, text=text, dedupe_key=f"event:{event_id}:note", now=now
        )
        # None: a redelivery of a note already recorded — say nothing twice, add nothing twice.
        return noted_reply(noted) if noted else ""
