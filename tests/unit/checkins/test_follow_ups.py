"""The one rule for follow-ups after Not yet on a due date (bot.checkins.scheduling.follow_up_at)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.commitments import Commit, create_commitment
from bot.accounts.people import upsert_person
from bot.checkins.scheduling import _recurrence_of, follow_up_at
from models import Account, Answer, CheckIn, CheckInState, Commitment, Side
from tests.factories import VENDOR_TEAM, csm_actor, make_account

CREATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # the due instant, 10:00 London
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def due_on_friday(sessions: sessionmaker[Session]) -> int:
    account_id = make_account(sessions, now=CREATED)
    with sessions.begin() as session:
        owner = upsert_person(session, team_id=VENDOR_TEAM, enterprise_id=None, user_id="U0CHAMP",
                              role_side=Side.CUSTOMER, profile=None, now=CREATED)  # fmt: skip
        owner.tz = "Europe/London"
        created = create_commitment(
            session,
            Commit(
                "Acme",
                Side.CUSTOMER,
                "U0CHAMP",
                "Invite the sales team",
                time(10, 0),
                due_on=date(2026, 12, 4),
            ),
            account=session.get_one(Account, account_id),
            owner=owner,
            actor=csm_actor(),
            now=CREATED,
        )
        return created.commitment.id


def add(sessions: sessionmaker[Session], commitment_id: int, at: datetime, **values: object) -> None:
    with sessions.begin() as session:
        session.add(CheckIn(team_id=VENDOR_TEAM, commitment_id=commitment_id, scheduled_at=at, send_attempts=0,
                            reminders_sent=0, **values))  # fmt: skip


def next_follow_up(sessions: sessionmaker[Session], commitment_id: int, *, now: datetime) -> datetime | None:
    with sessions() as session:
        commitment = session.get_one(Commitment, commitment_id)
        return follow_up_at(session, commitment, recurrence=_recurrence_of(commitment), now=now)


def not_yet(at: datetime) -> dict[str, object]:
    return {
        "state": CheckInState.ANSWERED,
        "answer": Answer.NOT_YET,
        "answered_by": "U0CHAMP",
        "answered_at": at,
    }


def test_not_yet_on_friday_is_followed_up_on_monday_morning(sessions: sessionmaker[Session]) -> None:
    commitment_id = due_on_friday(sessions)
    assert next_follow_up(sessions, commitment_id, now=FRIDAY) is None  # nothing answered yet
    add(sessions, commitment_id, FRIDAY, **not_yet(FRIDAY + timedelta(hours=1)))
    assert next_follow_up(sessions, commitment_id, now=FRIDAY + timedelta(hours=2)) == MONDAY


def test_a_skipped_morning_does_not_end_the_follow_ups(sessions: sessionmaker[Session]) -> None:
    commitment_id = due_on_friday(sessions)
    add(sessions, commitment_id, FRIDAY, **not_yet(FRIDAY + timedelta(hours=1)))
    add(sessions, commitment_id, MONDAY, state=CheckInState.SKIPPED, skip_reason="down")
    assert next_follow_up(sessions, commitment_id, now=MONDAY + timedelta(hours=5)) == TUESDAY


def test_done_or_no_answer_brings_no_follow_up(sessions: sessionmaker[Session]) -> None:
    commitment_id = due_on_friday(sessions)
    add(sessions, commitment_id, FRIDAY, **not_yet(FRIDAY + timedelta(hours=1)))
    add(sessions, commitment_id, MONDAY, state=CheckInState.NO_RESPONSE)
    assert next_follow_up(sessions, commitment_id, now=TUESDAY) is None


def test_a_date_moved_past_the_not_yet_ends_the_follow_ups(sessions: sessionmaker[Session]) -> None:
    commitment_id = due_on_friday(sessions)
    add(sessions, commitment_id, FRIDAY, **not_yet(FRIDAY + timedelta(hours=1)))
    with sessions.begin() as session:
        session.get_one(Commitment, commitment_id).due_on = date(2026, 12, 11)  # a renegotiated date
    assert next_follow_up(sessions, commitment_id, now=MONDAY) is None
