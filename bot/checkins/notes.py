"""Notes typed in the bot's DM (or in a check-in's thread) go to the check-in they are about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.checkins.message import truncate
from bot.diary import entries as diary
from bot.slack.mrkdwn import clean, escape, unescape
from models import CheckIn, CheckInState, Commitment, Person, Side

PRIVATE_PREFIX = "private:"
MAX_NOTE = 2000


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
        commitment = checkin.commitment
        # Slack escapes what was typed (`&lt;` for `<`); the stored note is the raw text, escaped when shown.
        note = clean(unescape(text)).strip()
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
            dedupe_key=f"event:{event_id}:note",
        )
        if recorded is None:
            return ""  # a redelivery of a note already recorded: say nothing twice, add nothing twice
        if checkin.state is CheckInState.SENT:
            checkin.note = note if not checkin.note else truncate(f"{checkin.note}\n{note}", MAX_NOTE)
        where = "kept private to the vendor's team" if private else "added to the shared diary"
        return f"Noted on your check-in for “{escape(commitment.action)}” ({escape(commitment.account.name)}) — {where}."
