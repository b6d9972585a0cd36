"""`@bot done #12` in an account's shared channel: the owner answers a check-in without its buttons.

Understood: `done`, `partly`, `not yet` and `blocked`, each with the commitment's number (`#12` or
`12`) and an optional note after it (a note is asked for with `blocked`, as the button's form asks).
The answer goes through the same recording as a button click, to the open check-in of that
commitment, wherever it was delivered. Anything else naming the bot gets a short hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.checkins.answers import Answered, answer_checkin
from bot.checkins.message import ANSWER_LABELS, truncate
from bot.checkins.notes import MAX_NOTE, typed_text
from bot.errors import Refusal
from bot.slack.mrkdwn import escape
from models import Account, Answer, CheckIn, CheckInState, Commitment

HINT = (
    "I understand `done #12`, `partly #12`, `not yet #12 <what's in the way>` and "
    "`blocked #12 <what's blocking it>` from the owner of commitment #12 (mention me first). "
    "To add a note to a check-in posted here, reply in its thread."
)

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_COMMAND = re.compile(
    r"^(?P<verb>done|partly|not[\s_-]*yet|blocked)\s*[:,-]?\s*#?(?P<number>\d{1,9})\b[\s:,.;—–-]*(?P<note>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_VERBS = {"done": Answer.DONE, "partly": Answer.PARTLY, "notyet": Answer.NOT_YET, "blocked": Answer.BLOCKED}


@dataclass(frozen=True)
class MentionAnswer:
    answer: Answer
    commitment_id: int
    note: str | None


def parse_mention(text: str, *, bot_user_id: str | None) -> MentionAnswer | None:
    """The answer a mention asks for, from the text as Slack sends it; None when it is not one.

    The command follows the bot's mention; the note keeps the person's words (other people's mentions
    included), unescaped and cleaned for storing.
    """
    own = re.compile(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>") if bot_user_id else _MENTION
    parts = own.split(text, maxsplit=1)
    # What follows the first mention of the bot ("thanks <@bot>, done #12"); "not done #12" never
    # reads as "done #12", because the command must come first.
    rest = own.sub(" ", parts[-1]).strip().lstrip(",:;").strip()
    matched = _COMMAND.match(rest)
    if matched is None:
        return None
    verb = re.sub(r"[\s_-]", "", matched["verb"].lower())
    note = truncate(typed_text(matched["note"]), MAX_NOTE) or None
    return MentionAnswer(answer=_VERBS[verb], commitment_id=int(matched["number"]), note=note)


@dataclass(frozen=True)
class MentionAnswered:
    """Recorded: redraw the message holding the check-in, and confirm to the person."""

    answered: Answered
    confirmation: str


def answer_by_mention(
    sessions: sessionmaker[Session],
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    command: MentionAnswer,
    now: datetime,
) -> MentionAnswered:
    """A `Refusal` says why not: no such commitment on this channel's accounts (the same words for
    another account's, so a channel never learns of another customer's commitments), someone other
    than the owner, no open check-in, or `blocked` without saying what blocks it."""
    number = command.commitment_id
    with sessions() as session:
        commitment = _commitment_here(session, team_id=team_id, channel_id=channel_id, number=number)
        if commitment is None:
            raise Refusal(f"There is no commitment #{number} on the account of this channel.")
        owner = commitment.owner.user_id
        if user_id != owner:
            raise Refusal(f"Only <@{owner}> can answer #{number}.")
        checkin_id = session.scalar(
            select(CheckIn.id)
            .where(CheckIn.commitment_id == commitment.id, CheckIn.state == CheckInState.SENT)
            .order_by(CheckIn.scheduled_at.desc())
            .limit(1)
        )
        action = commitment.action
    if checkin_id is None:
        raise Refusal(f"#{number} has no open check-in to answer just now; I'll ask again at its next one.")
    if command.answer is Answer.BLOCKED and not command.note:
        raise Refusal(
            f"Please say what is blocking it, so the right person can help: `blocked #{number} <what's blocking it>`."
        )
    answered = answer_checkin(
        sessions, checkin_id=checkin_id, user_id=user_id, answer=command.answer, now=now, note=command.note
    )
    return MentionAnswered(
        answered=answered,
        confirmation=f"Recorded “{ANSWER_LABELS[command.answer]}” for #{number} “{escape(action)}”.",
    )


def _commitment_here(session: Session, *, team_id: str, channel_id: str, number: int) -> Commitment | None:
    return session.scalar(
        select(Commitment)
        .join(Commitment.account)
        .where(
            Commitment.id == number,
            Account.shared_channel_id == channel_id,
            Account.team_id == team_id,
        )
        .options(joinedload(Commitment.owner))
    )


def is_shared_channel(sessions: sessionmaker[Session], *, team_id: str, channel_id: str) -> bool:
    """Mentions elsewhere (a channel that belongs to no account) are not the product's to answer."""
    with sessions() as session:
        return (
            session.scalar(
                select(Account.id)
                .where(Account.shared_channel_id == channel_id, Account.team_id == team_id)
                .limit(1)
            )
            is not None
        )
