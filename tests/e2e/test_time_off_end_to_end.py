"""Time off: away periods by command and by Slack status skip check-ins without misses, end by
themselves, and tell the CSM once of a long absence; per-person public holidays move check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import CheckIn, CheckInState, DiaryEntry, Person
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, CHAMPION, CSM, CUSTOMER_TEAM, ENGINEER, Clock, RunningApp
from tests.e2e.test_checkin_end_to_end import reply_text, set_up_account_and_commitment, to_champion


def dms_to(emulator: SlackEmulator, user: str) -> list[str]:
    dm = emulator.dm_channel(user)
    return [
        c.params["text"]
        for c in emulator.calls_to("chat.postMessage")
        if c.params.get("channel") in (user, dm)
    ]


def checkins(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)))


def diary_texts(sessions: sessionmaker[Session], kind: str) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.text).where(DiaryEntry.kind == kind)))


def test_champion_away_by_command_skips_checkins_tells_csm_once_and_ends_by_itself(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command('away until dec 4 "Family holiday"', user_id=CHAMPION)
    reply = reply_text(emulator, 4)
    assert "away until Friday 4 Dec 2026" in reply and "Family holiday" in reply
    # Ten working days away: the CSM is told once, with the commitment affected.
    told = [t for t in dms_to(emulator, CSM) if "is away until" in t]
    assert len(told) == 1 and "Send the weekly usage report" in told[0]

    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.created, report.sent, report.skipped) == (1, 0, 1)
    (skipped,) = checkins(sessions)
    assert skipped.state is CheckInState.SKIPPED and skipped.skip_reason == "away"
    assert to_champion(emulator, "chat.postMessage") == []
    assert any("skipped (away)" in t for t in diary_texts(sessions, "checkin_skipped"))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert len([t for t in dms_to(emulator, CSM) if "is away until" in t]) == 1

    # The period ends with Friday 4 Dec in London; the next Monday's check-in goes out.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 5, 0, 1, tzinfo=UTC))
    with sessions() as session:
        champion = session.scalar(select(Person).where(Person.user_id == CHAMPION))
        assert champion is not None and champion.away_until is None
    assert len(diary_texts(sessions, "back")) == 1
    report = run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    assert (report.sent, report.skipped) == (1, 0)
    assert [c.state for c in checkins(sessions)] == [CheckInState.SKIPPED, CheckInState.SENT]
    assert not any(c.state is CheckInState.NO_RESPONSE for c in checkins(sessions))


def test_short_absence_is_not_told_to_the_csm_and_off_ends_it_early(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    web.slack.command(f"away <@{CHAMPION}> until monday", user_id=CSM)
    assert "away until Monday 30 Nov 2026" in reply_text(emulator, 4)
    assert not [t for t in dms_to(emulator, CSM) if "is away until" in t]
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.sent, report.skipped) == (0, 1)
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    web.slack.command("away off", user_id=CHAMPION)
    assert "Welcome back" in reply_text(emulator, 5)
    assert len(diary_texts(sessions, "back")) == 1


def test_away_for_someone_else_is_refused_unless_csm_or_admin(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command(f"away <@{CHAMPION}> until dec 4", user_id=ENGINEER)
    assert "Only <@U0CHAMP> themselves" in reply_text(emulator, 4)
    web.slack.command(f"away <@{CSM}> until dec 4", user_id=CHAMPION)
    assert "Customers set only their own time off" in reply_text(emulator, 5)
    web.slack.command(f"away <@{CSM}> until dec 4", user_id=ENGINEER)
    assert "is not on any account" in reply_text(emulator, 6)
    with sessions() as session:
        assert all(p.away_until is None for p in session.scalars(select(Person)))
    web.slack.command(f"away <@{CHAMPION}> until dec 4", user_id=ADMIN)
    assert "away until Friday 4 Dec 2026" in reply_text(emulator, 7)


def test_slack_status_with_expiry_makes_an_owner_away_until_it_expires(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    expires = int(datetime(2026, 12, 2, 18, 0, tzinfo=UTC).timestamp())
    emulator.add_user(
        CHAMPION,
        team_id=CUSTOMER_TEAM,
        name=CHAMPION.lower(),
        tz="Europe/London",
        status_text="Skiing",
        status_emoji=":palm_tree:",
        status_expiration=expires,
    )
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.sent, report.skipped) == (0, 1)
    assert checkins(sessions)[0].skip_reason == "away"
    assert to_champion(emulator, "chat.postMessage") == []
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 18, 1, tzinfo=UTC))
    assert len(diary_texts(sessions, "back")) == 1


def test_away_words_setting_is_for_admins_and_changes_what_a_status_means(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command('settings away-words "conference, :ski:"', user_id=CSM)
    assert "Only accountability admins" in reply_text(emulator, 4)
    web.slack.command('settings away-words "conference, :ski:"', user_id=ADMIN)
    assert "“conference”, “:ski:”" in reply_text(emulator, 5)
    expires = int(datetime(2026, 12, 2, 18, 0, tzinfo=UTC).timestamp())
    emulator.add_user(
        CHAMPION,
        team_id=CUSTOMER_TEAM,
        name=CHAMPION.lower(),
        tz="Europe/London",
        status_text="At a Conference",
        status_expiration=expires,
    )
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.sent, report.skipped) == (0, 1)


def test_vacation_status_no_longer_means_away_once_the_words_change(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command('settings away-words "conference"', user_id=ADMIN)
    assert "“conference”" in reply_text(emulator, 4)  # recorded before the clock reads the words
    expires = int(datetime(2026, 12, 2, 18, 0, tzinfo=UTC).timestamp())
    emulator.add_user(
        CHAMPION,
        team_id=CUSTOMER_TEAM,
        name=CHAMPION.lower(),
        tz="Europe/London",
        status_emoji=":palm_tree:",
        status_expiration=expires,
    )
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.sent, report.skipped) == (1, 0)


def test_a_persons_own_holidays_move_their_checkin(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command(f"person <@{CHAMPION}> holidays:GB", user_id=CSM)
    assert "public holidays of GB" in reply_text(emulator, 4)
    # Monday 28 Dec is a public holiday in Britain (Boxing Day moved): the check-in falls on the 29th.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 28, 10, 0, tzinfo=UTC))
    assert not [c for c in checkins(sessions) if c.scheduled_at.date() == datetime(2026, 12, 28).date()]
    run_due_work(sessions, gateway, now=datetime(2026, 12, 29, 10, 0, tzinfo=UTC))
    assert [c for c in checkins(sessions) if c.scheduled_at.day == 29]


def test_im_away_button_in_the_app_home_opens_a_form_that_sets_time_off(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.click(
        action_id="away_open",
        value="away",
        user_id=CHAMPION,
        channel_id=None,
        message_ts=None,
        container_type="view",
    )
    form = emulator.wait_for("views.open")[0].params["view"]
    assert form["callback_id"] == "away_form"
    result = web.slack.submit_view(
        callback_id="away_form",
        values={
            "until": {"type": "plain_text_input", "value": "dec 1"},
            "reason": {"type": "plain_text_input", "value": "Conference"},
        },
        user_id=CHAMPION,
        private_metadata=form["private_metadata"],
    )
    assert result.status == 200
    with sessions() as session:
        champion = session.scalar(select(Person).where(Person.user_id == CHAMPION))
        assert champion is not None and champion.away_source == "button"
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.sent, report.skipped) == (0, 1)
    assert checkins(sessions)[0].skip_reason == "away"


def test_an_open_checkin_is_neither_reminded_nor_closed_while_its_owner_is_away(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    assert run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC)).sent == 1
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    web.slack.command("away until dec 11", user_id=CHAMPION)
    assert "away until Friday 11 Dec 2026" in reply_text(emulator, 4)
    for day in (1, 2, 3, 7, 10, 11):
        report = run_due_work(sessions, gateway, now=datetime(2026, 12, day, 19, 0, tzinfo=UTC))
        assert (report.reminded, report.closed) == (0, 0)
    assert len(to_champion(emulator, "chat.postMessage")) == 1
    first, second = checkins(sessions)
    assert first.state is CheckInState.SENT
    assert (second.state, second.skip_reason) == (CheckInState.SKIPPED, "away")
    # Back on Monday 14 Dec: the reminder comes that morning.
    report = run_due_work(sessions, gateway, now=datetime(2026, 12, 14, 9, 0, tzinfo=UTC))
    assert report.reminded == 1
