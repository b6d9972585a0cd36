"""A `by <date>` on the owner's day off moves to their working day before it, and the reply says so;
`next <weekday>` is read as the first such day after today, and every accepted date is echoed with its
weekday. Signed commands over real HTTP; the owner's calendar is their own zone and the account's
holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Commitment, Proposal
from slack_emulator import SlackEmulator
from tests.conftest import CSM, Clock, RunningApp

ACCOUNT_ADD = "account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP> holidays:US"
MONDAY_MORNING_NEW_YORK = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Mon 7 Dec, 10:00 for the CSM


def answer(web: RunningApp, emulator: SlackEmulator, text: str) -> str:
    """What the CSM read: the ack's own refusal, or the reply through the response URL after it."""
    before = len(emulator.calls_to("response_url"))
    result = web.slack.command(text, user_id=CSM)
    assert result.status == 200
    if result.body:
        return str(result.json()["text"])
    return str(emulator.wait_for("response_url", count=before + 1)[before].params["text"])


def due_dates(sessions: sessionmaker[Session]) -> list[date | None]:
    with sessions() as session:
        return list(session.scalars(select(Commitment.due_on).order_by(Commitment.id)))


def commit_by(web: RunningApp, emulator: SlackEmulator, when: str) -> str:
    return answer(web, emulator, f'commit Acme vendor <@{CSM}> "Ship the SSO fix" by {when}')


def test_a_saturday_due_date_moves_to_the_friday_before_and_the_reply_says_so(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = MONDAY_MORNING_NEW_YORK
    assert "created" in answer(web, emulator, ACCOUNT_ADD)
    text = commit_by(web, emulator, "2026-12-12")
    assert "by Fri 11 Dec 2026 at 09:00" in text
    assert "Sat 12 Dec is a weekend day, so it's due Fri 11 Dec." in text
    assert due_dates(sessions) == [date(2026, 12, 11)]


def test_a_due_date_on_the_accounts_public_holiday_moves_to_the_working_day_before(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = MONDAY_MORNING_NEW_YORK
    assert "created" in answer(web, emulator, ACCOUNT_ADD)
    text = commit_by(web, emulator, "dec 25")
    assert "Fri 25 Dec is a public holiday (Christmas Day), so it's due Thu 24 Dec." in text
    assert due_dates(sessions) == [date(2026, 12, 24)]


def test_a_working_day_due_date_stands_and_is_echoed_with_its_weekday(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = MONDAY_MORNING_NEW_YORK
    assert "created" in answer(web, emulator, ACCOUNT_ADD)
    text = commit_by(web, emulator, "2026-12-10")
    assert "by Thu 10 Dec 2026 at 09:00" in text and "so it's due" not in text
    assert due_dates(sessions) == [date(2026, 12, 10)]


def test_next_tuesday_typed_on_a_monday_is_tomorrow_and_next_monday_a_week_later(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = MONDAY_MORNING_NEW_YORK
    assert "created" in answer(web, emulator, ACCOUNT_ADD)
    assert "by Tue 8 Dec 2026 at 09:00" in commit_by(web, emulator, "next tuesday")
    assert "by Mon 14 Dec 2026 at 09:00" in commit_by(web, emulator, "next monday")
    assert due_dates(sessions) == [date(2026, 12, 8), date(2026, 12, 14)]


def test_a_proposed_sunday_moves_to_the_friday_before_and_the_proposer_is_told(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = MONDAY_MORNING_NEW_YORK
    assert "created" in answer(web, emulator, ACCOUNT_ADD)
    commit_by(web, emulator, "2026-12-10")
    [number] = _ids(sessions)
    text = answer(web, emulator, f'propose #{number} by 2026-12-13 "The review slipped"')
    assert "by Fri 11 Dec 2026 at 09:00" in text
    assert "Sun 13 Dec is a weekend day, so it's due Fri 11 Dec." in text
    with sessions() as session:
        assert session.scalar(select(Proposal.new_due_on)) == date(2026, 12, 11)


def _ids(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as session:
        return list(session.scalars(select(Commitment.id)))
