"""Pausing, resuming, finishing, cancelling and editing — and who may do it — over signed HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, DiaryEntry, Escalation
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, CHAMPION, CSM, ENGINEER, OUTSIDER_VENDOR, Clock, RunningApp
from tests.flows import ADD_ACME, run

VENDOR_COMMIT = 'commit Acme vendor <@U0ENG> "Send the release notes" every monday at 10:00'


def only_commitment(sessions: sessionmaker[Session]) -> Commitment:
    with sessions() as session:
        return session.scalars(select(Commitment)).one()


def dms_to(emulator: SlackEmulator, user_id: str) -> int:
    return len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == user_id])


def set_up(web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]) -> int:
    run(web, emulator, ADD_ACME)
    run(web, emulator, VENDOR_COMMIT)
    return only_commitment(sessions).id


def test_pause_stops_checkins_and_resume_starts_from_now(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    number = set_up(web, emulator, sessions)
    assert f"Paused #{number}" in run(web, emulator, f"pause #{number}")
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Mon 10:00 Tokyo
    run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    assert dms_to(emulator, ENGINEER) == 0
    assert "paused" in run(web, emulator, "list Acme")

    clock.now = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert f"Resumed #{number}" in run(web, emulator, f"resume {number}")
    run_due_work(sessions, gateway, now=datetime(2026, 12, 14, 1, 0, tzinfo=UTC))
    with sessions() as session:
        rows = session.scalars(select(CheckIn)).all()
    # The paused Mondays were never check-ins (not skipped, not missed); the next one is.
    assert [r.scheduled_at for r in rows] == [datetime(2026, 12, 14, 1, 0, tzinfo=UTC)]
    kinds = [e.kind for e in diary(sessions)]
    assert "commitment_paused" in kinds and "commitment_resumed" in kinds


def test_pause_until_a_date_resumes_by_itself(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    number = set_up(web, emulator, sessions)
    assert "until Mon 7 Dec 2026" in run(web, emulator, f"pause #{number} until 2026-12-07")
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    assert dms_to(emulator, ENGINEER) == 0
    run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    assert dms_to(emulator, ENGINEER) == 1
    assert only_commitment(sessions).status is CommitmentStatus.ACTIVE
    assert any("end of its pause" in e.text for e in diary(sessions))


def test_pausing_an_account_pauses_all_its_commitments(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    set_up(web, emulator, sessions)
    run(web, emulator, 'commit Acme vendor <@U0CSM> "Review usage" every friday')
    reply = run(web, emulator, "pause Acme")
    assert reply.startswith("Paused #") and reply.count("#") == 2
    with sessions() as session:
        assert {c.status for c in session.scalars(select(Commitment))} == {CommitmentStatus.PAUSED}
    assert "Resumed" in run(web, emulator, "resume Acme")


@pytest.mark.parametrize(
    ("verb", "status"), [("done", CommitmentStatus.DONE), ("cancel", CommitmentStatus.CANCELLED)]
)
def test_done_and_cancel_stop_checkins_for_good(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    verb: str,
    status: CommitmentStatus,
) -> None:
    number = set_up(web, emulator, sessions)
    reply = run(web, emulator, f'{verb} #{number} "handled in the new process"')
    assert "check-ins have stopped" in reply
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    assert dms_to(emulator, ENGINEER) == 0
    assert only_commitment(sessions).status is status
    [entry] = [e for e in diary(sessions) if e.kind == f"commitment_{status.value}"]
    assert "handled in the new process" in entry.text and entry.actor_user_id == CSM
    assert "already" in run(web, emulator, f"{verb} #{number}")


def test_account_edit_changes_the_account_and_is_in_the_diary(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    reply = run(web, emulator, 'account edit Acme manager:<@U0ADMIN> outcome:"Half the churn" holidays:gb')
    assert "updated" in reply
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        assert (account.manager_user_id, account.desired_outcome, account.holiday_country) == (
            ADMIN,
            "Half the churn",
            "GB",
        )
    run(web, emulator, "account edit Acme manager:none")
    with sessions() as session:
        assert session.scalars(select(Account)).one().manager_user_id is None
    assert [e.kind for e in diary(sessions)].count("account_edited") == 2


def test_list_shows_the_next_checkin_in_the_owners_zone(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    set_up(web, emulator, sessions)
    listing = run(web, emulator, "list")
    assert "*Acme*" in listing and "Send the release notes" in listing
    assert "next Mon 30 Nov 10:00 (Asia/Tokyo)" in listing
    assert "not the CSM or manager of any account" in run(web, emulator, "list", user_id=OUTSIDER_VENDOR)


PERMISSION_MATRIX = [
    # (who, command template, allowed)
    (CSM, "pause #{n}", True),
    (ADMIN, "pause #{n}", True),
    (OUTSIDER_VENDOR, "pause #{n}", False),
    (CHAMPION, "pause #{n}", False),
    (OUTSIDER_VENDOR, "resume #{n}", False),
    (OUTSIDER_VENDOR, "done #{n}", False),
    (OUTSIDER_VENDOR, "cancel #{n}", False),
    (OUTSIDER_VENDOR, "account edit Acme outcome:x", False),
    (CHAMPION, "account edit Acme outcome:x", False),
    (ADMIN, "account edit Acme outcome:x", True),
    (OUTSIDER_VENDOR, 'commit Acme vendor <@U0ENG> "x" every friday', False),
    (CHAMPION, 'commit Acme customer <@U0CHAMP> "x" every friday', False),
    (OUTSIDER_VENDOR, "agreement Acme", False),
    (CHAMPION, "agreement Acme", False),
    (CHAMPION, "list Acme", False),
    (OUTSIDER_VENDOR, "list Acme", True),
    (CHAMPION, "account add Beta channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP>", False),
    (
        OUTSIDER_VENDOR,
        "account add Beta channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP>",
        True,
    ),
]


@pytest.mark.parametrize(("who", "template", "allowed"), PERMISSION_MATRIX)
def test_permission_matrix(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    who: str,
    template: str,
    allowed: bool,
) -> None:
    number = set_up(web, emulator, sessions)
    before = snapshot(sessions)
    reply = run(web, emulator, template.format(n=number), user_id=who)
    refused = any(
        phrase in reply
        for phrase in (
            "Only <@U0CSM>, the CSM of Acme, or an accountability admin",
            "Customers ",
            "vendor's side",
        )
    )
    assert refused is not allowed, reply
    if not allowed:
        assert snapshot(sessions) == before


def diary(sessions: sessionmaker[Session]) -> list[DiaryEntry]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry).order_by(DiaryEntry.id)))


def snapshot(sessions: sessionmaker[Session]) -> tuple[object, ...]:
    with sessions() as session:
        accounts = tuple(
            (a.name, a.desired_outcome, a.plan_version) for a in session.scalars(select(Account))
        )
        commitments = tuple((c.id, c.status, c.action) for c in session.scalars(select(Commitment)))
        entries = len(session.scalars(select(DiaryEntry.id)).all())
    return accounts, commitments, entries


def test_a_checkin_waiting_when_its_commitment_is_paused_is_withdrawn_not_missed(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    number = set_up(web, emulator, sessions)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Mon 10:00 Tokyo: sent
    assert dms_to(emulator, ENGINEER) == 1
    clock.now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    run(web, emulator, f"pause #{number}")
    for hours in (24, 33, 48):  # the next morning's reminder time, its evening, the day after
        run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 1, 0, tzinfo=UTC) + timedelta(hours=hours))
    assert dms_to(emulator, ENGINEER) == 1  # no reminder
    with sessions() as session:
        assert [c.state for c in session.scalars(select(CheckIn))] == [CheckInState.SKIPPED]
        assert session.scalars(select(Escalation)).all() == []
