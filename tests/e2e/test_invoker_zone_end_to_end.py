"""A command is read once, against the invoker's own date: 17:00 on 1 Dec in Los Angeles is already
2 Dec in UTC, and "by 2026-12-01" is still today for the person typing it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Commitment, Person
from slack_emulator import SlackEmulator
from tests.conftest import CSM, OUTSIDER_VENDOR, Clock, RunningApp

ACCOUNT_ADD = (
    "account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP> "
    f"csm:<@{OUTSIDER_VENDOR}>"
)
COMMIT = f'commit Acme vendor <@{OUTSIDER_VENDOR}> "Ship it" by 2026-12-01'


def answer(web: RunningApp, emulator: SlackEmulator, text: str, *, user_id: str) -> str:
    """What the person read: the ack's own refusal, or the reply through the response URL after it."""
    before = len(emulator.calls_to("response_url"))
    result = web.slack.command(text, user_id=user_id)
    assert result.status == 200
    if result.body:
        return str(result.json()["text"])
    return str(emulator.wait_for("response_url", count=before + 1)[before].params["text"])


def commitments(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Commitment)) or 0)


def stored_zone(sessions: sessionmaker[Session], user_id: str) -> str | None:
    with sessions() as session:
        return session.scalar(select(Person.tz).where(Person.user_id == user_id))


def test_due_today_in_los_angeles_is_accepted_at_five_in_the_afternoon(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    assert "created" in answer(web, emulator, ACCOUNT_ADD, user_id=CSM)
    assert stored_zone(sessions, OUTSIDER_VENDOR) == "America/Los_Angeles"
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 17:00 on Tue 1 Dec in Los Angeles
    text = answer(web, emulator, COMMIT, user_id=OUTSIDER_VENDOR)
    assert "Recorded #" in text and "in the past" not in text
    assert commitments(sessions) == 1


def test_due_yesterday_in_los_angeles_is_refused_as_in_the_past(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    assert "created" in answer(web, emulator, ACCOUNT_ADD, user_id=CSM)
    clock.now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 17:00 on Wed 2 Dec in Los Angeles
    result = web.slack.command(COMMIT, user_id=OUTSIDER_VENDOR)
    assert result.status == 200
    assert "in the past" in result.json()["text"]
    assert commitments(sessions) == 0
