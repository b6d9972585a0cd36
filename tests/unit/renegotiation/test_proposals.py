"""Proposals below the handlers: reading a new schedule, the answerer's working days, who may propose
and answer, one open proposal per commitment (decided by the database), one answer per proposal, and a
recurring schedule that moves from the moment of acceptance without re-creating past occurrences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.counts import CheckinCounts
from bot.checkins.recurrence import ScheduleError
from bot.checkins.scheduling import DOWNTIME_GRACE, schedule_occurrences
from bot.commands.grammar import parse_propose
from bot.commands.tokens import CommandError
from bot.digest.scorecard import KeptRate
from bot.errors import Refusal
from bot.renegotiation.proposals import (
    _insert_open,
    answer_proposal,
    create_proposal,
    working_days_later,
)
from bot.renegotiation.schedule import NewSchedule, parse_new_schedule
from models import CheckIn, Commitment, Proposal
from tests.factories import make_account, make_commitment

MON = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def test_a_bare_date_moves_a_dated_commitment_and_keeps_its_time_unless_told() -> None:
    assert parse_new_schedule("dec 7", today=TODAY, due_by_date=True) == NewSchedule(
        None, due_on=date(2026, 12, 7)
    )
    moved = parse_new_schedule("by next friday at 14:00", today=TODAY, due_by_date=True)
    assert (moved.due_on, moved.at) == (date(2026, 11, 27), time(14, 0))
    assert moved.text(time(14, 0)) == "by Fri 27 Nov 2026 at 14:00"


def test_a_recurring_commitment_needs_a_recurrence_in_the_words_commit_accepts() -> None:
    weekly = parse_new_schedule("every 2 weeks on friday at 10:00", today=TODAY, due_by_date=False)
    assert (weekly.rule, weekly.at) == ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", time(10, 0))
    assert weekly.text(time(10, 0)) == "every 2 weeks on Friday at 10:00"
    with pytest.raises(ScheduleError, match="is not a schedule"):
        parse_new_schedule("dec 7", today=TODAY, due_by_date=False)
    with pytest.raises(ScheduleError):
        parse_new_schedule("someday", today=TODAY, due_by_date=True)


def test_the_command_reads_the_commitment_the_schedule_and_the_reason() -> None:
    command = parse_propose(["#12", "by", "dec", "7", "at", "09:30", "Data lands late"], TODAY)
    assert (command.commitment_id, command.new.due_on, command.new.at, command.reason) == (
        12,
        date(2026, 12, 7),
        time(9, 30),
        "Data lands late",
    )
    with pytest.raises(CommandError, match="reason"):
        parse_propose(["#12", "by"], TODAY)
    with pytest.raises(CommandError, match="is not a date"):
        parse_propose(["#12", "by", "someday", "Because"], TODAY)


def test_two_working_days_skip_the_weekend_in_the_answerers_zone() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 in New York
    later = working_days_later(friday, 2, tz=ZoneInfo("America/New_York"), holiday_country=None)
    assert later == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday, same local time


def test_renegotiated_check_ins_are_shown_beside_the_rate_and_not_in_it() -> None:
    assert str(KeptRate(2, 3, 1, 1)) == "kept 2 of 3 (67 %) · 1 renegotiated"
    assert str(KeptRate(0, 0, 0, 2)) == "no kept or missed check-ins · 2 renegotiated"
    assert str(KeptRate(0, 0)) == "no check-ins yet"


def _propose(
    sessions: sessionmaker[Session], commitment_id: int, *, user_id: str, when: str, now: datetime
) -> int:
    return create_proposal(
        sessions,
        commitment_id=commitment_id,
        checkin_id=None,
        user_id=user_id,
        is_admin=False,
        new=parse_new_schedule(when, today=now.date(), due_by_date=False),
        reason="The team is at a conference",
        now=now,
    ).proposal_id


def test_one_open_proposal_per_commitment_is_decided_by_the_database(sessions: sessionmaker[Session]) -> None:
    commitment_id = make_commitment(sessions, account_id=make_account(sessions, now=MON), now=MON)
    proposal_id = _propose(sessions, commitment_id, user_id="U0CHAMP", when="every tuesday", now=MON)
    with pytest.raises(Refusal, match="There is already an open proposal"):
        _propose(sessions, commitment_id, user_id="U0CSM", when="every wednesday", now=MON)
    # Two requests that both passed the check: the partial unique index lets one INSERT through.
    with sessions.begin() as session:
        row = session.get_one(Proposal, proposal_id)
        values = {c.name: getattr(row, c.name) for c in Proposal.__table__.columns if c.name != "id"}
        assert _insert_open(session, values) is None
    with sessions() as session:
        assert len(session.scalars(select(Proposal)).all()) == 1


def test_only_the_owner_the_csm_or_an_admin_may_propose(sessions: sessionmaker[Session]) -> None:
    commitment_id = make_commitment(sessions, account_id=make_account(sessions, now=MON), now=MON)
    with pytest.raises(Refusal, match="can propose a new date"):
        _propose(sessions, commitment_id, user_id="U0SOMEONE", when="every tuesday", now=MON)


def test_an_accepted_recurrence_schedules_from_acceptance_and_never_repeats_the_past(
    sessions: sessionmaker[Session],
) -> None:
    commitment_id = make_commitment(sessions, account_id=make_account(sessions, now=MON), now=MON)
    counts = CheckinCounts()
    schedule_occurrences(
        sessions, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC), grace=DOWNTIME_GRACE, counts=counts
    )
    proposed_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday, before 10:00
    proposal_id = _propose(
        sessions, commitment_id, user_id="U0CHAMP", when="every tuesday at 10:00", now=proposed_at
    )
    with pytest.raises(Refusal, match="This proposal is for"):
        answer_proposal(
            sessions,
            proposal_id=proposal_id,
            user_id="U0CHAMP",
            accept=True,
            note=None,
            admins=frozenset(),
            now=proposed_at,
        )
    answer_proposal(
        sessions,
        proposal_id=proposal_id,
        user_id="U0CSM",
        accept=True,
        note=None,
        admins=frozenset(),
        now=proposed_at,
    )
    with pytest.raises(Refusal, match="already accepted"):
        answer_proposal(
            sessions,
            proposal_id=proposal_id,
            user_id="U0CSM",
            accept=True,
            note=None,
            admins=frozenset(),
            now=proposed_at,
        )
    for day in range(0, 9):
        at = proposed_at + timedelta(days=day, hours=2)
        schedule_occurrences(sessions, now=at, grace=DOWNTIME_GRACE, counts=counts)
    with sessions() as session:
        commitment = session.get_one(Commitment, commitment_id)
        assert (commitment.schedule_text, commitment.renegotiations) == ("every Tuesday at 10:00", 1)
        scheduled = [c.scheduled_at for c in session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at))]
    assert scheduled == [
        datetime(2026, 11, 30, 10, 0, tzinfo=UTC),  # the Monday before, as it was
        datetime(2026, 12, 1, 10, 0, tzinfo=UTC),  # the new Tuesdays, from acceptance on
        datetime(2026, 12, 8, 10, 0, tzinfo=UTC),
    ]
