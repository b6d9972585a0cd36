"""Nothing due is lost and nothing is doubled: Slack failing, a token refused, clocks killed or racing,
and escalation posts Slack won't take."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import clock_pass as due_work
from bot.clock_pass import run_due_work
from bot.escalation.posting import publish
from bot.slack.gateway import SlackGateway, make_client
from models import Account, CheckIn, CheckInState, ClockPass, DiaryEntry, Escalation, Person
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM, ESCALATION_CHANNEL, TOKEN
from tests.factories import make_account, make_commitment, open_escalation
from tests.faults import record, size
from tests.faults.delivery import DUE, flaky_slack, killed_clocks, racing_clocks, revoked_token_for_one_pass


def clock_gateway(emulator: SlackEmulator) -> SlackGateway:
    return SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))


def one_due(sessions: sessionmaker[Session]) -> None:
    make_commitment(
        sessions, account_id=make_account(sessions, now=DUE - timedelta(days=7)), now=DUE - timedelta(days=7)
    )


def rows(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.id)))


def to(emulator: SlackEmulator, user: str) -> list[str]:
    return [c.params["text"] for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == user]


@pytest.mark.reliability
@pytest.mark.slow
def test_five_percent_5xx_over_many_due_checkins_loses_and_doubles_nothing(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    result = record(flaky_slack(sessions, emulator, size=size(300, 1000)), area="Delivery")
    assert result.outcome["5xx injected"] > 0 and result.outcome["of them after posting"] > 0
    assert (result.outcome["lost"], result.outcome["doubled"], result.outcome["still pending"]) == (0, 0, 0)
    assert result.outcome["delivered once"] == result.outcome["recorded sent"] == result.tried


@pytest.mark.reliability
def test_a_token_refused_for_one_pass_keeps_everything_due_and_sends_it_after(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    result = record(revoked_token_for_one_pass(sessions, emulator, size=13), area="Delivery")
    assert result.outcome["sent during the refused pass"] == 0 and result.outcome["kept due"] == 13
    assert (result.outcome["delivered once"], result.outcome["lost"], result.outcome["doubled"]) == (13, 0, 0)


@pytest.mark.reliability
@pytest.mark.slow
def test_a_clock_killed_mid_send_ten_times_loses_and_doubles_nothing(
    sessions: sessionmaker[Session], emulator: SlackEmulator, database_url: str
) -> None:
    result = record(
        killed_clocks(sessions, emulator, database_url=database_url, size=size(24, 120), kills=10),
        area="Delivery",
    )
    assert result.outcome["killed while sending"] >= 1
    assert (result.outcome["lost"], result.outcome["doubled"], result.outcome["still pending"]) == (0, 0, 0)


@pytest.mark.reliability
@pytest.mark.slow
def test_three_clocks_at_a_vendor_deadline_never_crash_each_other(
    sessions: sessionmaker[Session], emulator: SlackEmulator, database_url: str
) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("several clock processes need PostgreSQL; SQLite serialises writers to one file")
    result = record(
        racing_clocks(sessions, emulator, database_url=database_url, clocks=3, rounds=size(3, 6)),
        area="Delivery",
    )
    assert result.outcome["processes that crashed"] == 0
    assert result.outcome["passes with a failed step"] == 0
    assert result.outcome["passes completed"] == result.tried
    assert (result.outcome["episodes opened"], result.outcome["episodes opened twice"]) == (5, 0)
    assert result.outcome["escalation posts"] == 5


def test_502_and_504_are_retried_in_the_web_process(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    emulator.fail_next("chat.postMessage", status=502)
    emulator.fail_next("chat.postMessage", status=504)
    posted = gateway.post_message("C0SHARED", text="hello")
    assert posted.ts and len(emulator.calls_to("chat.postMessage")) == 3


def test_a_5xx_after_slack_posted_is_settled_from_the_dm_history_not_sent_again(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    emulator.fail_randomly("chat.postMessage", rate=1.0, statuses=(502,), after_effect=1.0)
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    emulator.fail_randomly("chat.postMessage", rate=0.0)
    [row] = rows(sessions)
    assert (report.sent, row.state) == (1, CheckInState.SENT)
    assert row.message_ts == emulator.messages(CHAMPION)[0]["ts"]
    run_due_work(sessions, clock_gateway(emulator), now=DUE + timedelta(minutes=30))
    assert len(emulator.messages(CHAMPION)) == 1


def test_a_passing_failure_is_retried_with_back_off_until_it_goes_through(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    gateway = clock_gateway(emulator)
    emulator.error_next("chat.postMessage", "internal_error", count=3, channel=CHAMPION)
    for minutes in (0, 1, 3):
        assert run_due_work(sessions, gateway, now=DUE + timedelta(minutes=minutes)).deferred == 1
    [row] = rows(sessions)
    assert (row.state, row.send_attempts, row.next_attempt_at) == (
        CheckInState.DUE,
        3,
        DUE + timedelta(minutes=3 + 4),
    )
    assert run_due_work(sessions, gateway, now=DUE + timedelta(minutes=6)).sent == 0
    assert run_due_work(sessions, gateway, now=DUE + timedelta(minutes=7)).sent == 1
    assert len(to(emulator, CHAMPION)) == 4


def test_a_checkin_slack_never_took_before_it_would_close_is_recorded_not_delivered_and_counts_against_no_one(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    gateway = clock_gateway(emulator)
    emulator.error_next("chat.postMessage", "service_unavailable", count=100, channel=CHAMPION)
    run_due_work(sessions, gateway, now=DUE)
    # Monday 10:00 London: a delivered check-in would close at 18:00 on Tuesday.
    run_due_work(sessions, gateway, now=DUE + timedelta(days=1, hours=7, minutes=59))
    assert rows(sessions)[0].state is CheckInState.DUE
    report = run_due_work(sessions, gateway, now=DUE + timedelta(days=1, hours=8))
    [row] = rows(sessions)
    assert (report.failed, row.state, row.evaluated) == (1, CheckInState.FAILED, False)
    with sessions() as session:
        entry = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "checkin_failed")).one()
        assert "does not count against anyone" in entry.text and "service_unavailable" not in entry.text
        assert session.scalars(select(Escalation)).all() == []


def test_a_permanent_refusal_is_recorded_in_plain_words_and_the_csm_told_once(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    with sessions.begin() as session:
        # DMs only: under `auto` the shared channel would take the check-in instead.
        session.execute(update(Account).values(checkin_delivery="dm"))
    gateway = clock_gateway(emulator)
    emulator.error_next("chat.postMessage", "invalid_user_combination", channel=CHAMPION)
    assert run_due_work(sessions, gateway, now=DUE).failed == 1
    [told] = to(emulator, CSM)
    assert f"<@{CHAMPION}>" in told and f"/accountability person <@{CHAMPION}> checkins:channel" in told
    with sessions() as session:
        entry = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "checkin_failed")).one()
        assert "direct messages" in entry.text and "invalid_user_combination" not in entry.text
    # The next week fails the same way: recorded again, but the CSM already knows.
    emulator.error_next("chat.postMessage", "invalid_user_combination", channel=CHAMPION)
    assert run_due_work(sessions, gateway, now=DUE + timedelta(days=7)).failed == 1
    assert len(to(emulator, CSM)) == 1
    # Once a DM goes through, a new problem would be told again.
    run_due_work(sessions, gateway, now=DUE + timedelta(days=14))
    with sessions() as session:
        assert (
            session.scalars(select(Person.delivery_problem).where(Person.user_id == CHAMPION)).one() is None
        )


def test_a_rate_limited_person_is_deferred_while_everyone_else_is_sent_in_the_same_pass(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    account_id = make_account(sessions, now=DUE - timedelta(days=7))
    for owner in ("U0CHAMP", "U0ENG", "U0SALES"):
        make_commitment(sessions, account_id=account_id, now=DUE - timedelta(days=7), owner=owner, tz="UTC")
        # Slack agrees on their zone (the clock reads a stale profile before their check-in goes out).
        emulator.add_user(owner, team_id=emulator.team_of(owner), name=owner.lower(), tz="UTC")
    emulator.rate_limit_next("chat.postMessage", retry_after=15)
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert (report.sent, report.deferred) == (2, 1)
    [waiting] = [row for row in rows(sessions) if row.state is CheckInState.DUE]
    assert waiting.next_attempt_at == DUE + timedelta(seconds=15)


def test_a_failing_step_is_recorded_and_the_steps_after_it_still_run(
    sessions: sessionmaker[Session], emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass's own isolation, so the step is made to fail from outside: its internals don't matter."""
    one_due(sessions)

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("rules exploded")

    monkeypatch.setattr(due_work, "run_rules", broken)
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert report.sent == 1 and report.errors == ["escalation rules: RuntimeError: rules exploded"]
    with sessions() as session:
        [clock_pass] = session.scalars(select(ClockPass)).all()
        assert clock_pass.errors == "escalation rules: RuntimeError: rules exploded"


def open_episode(sessions: sessionmaker[Session]) -> int:
    return open_escalation(
        sessions,
        account_id=make_account(sessions, now=DUE),
        opened_at=DUE,
        kind="champion_unresponsive",
        summary="Three check-ins in a row had no response.",
    )


def diary_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


def test_an_escalation_slack_refuses_is_retried_every_pass_the_csm_told_and_the_diary_honest(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    escalation_id = open_episode(sessions)
    gateway = clock_gateway(emulator)
    emulator.error_next("chat.postMessage", "not_in_channel")
    assert publish(sessions, gateway, escalation_id, now=DUE) is False
    assert "escalation_opened" not in diary_kinds(sessions) and "escalation_unposted" in diary_kinds(sessions)
    [told] = to(emulator, CSM)
    assert "not a member of the channel" in told
    emulator.error_next("chat.postMessage", "not_in_channel")
    run_due_work(sessions, gateway, now=DUE + timedelta(minutes=1))
    assert len(to(emulator, CSM)) == 1  # told once, retried again
    run_due_work(sessions, gateway, now=DUE + timedelta(minutes=2))
    with sessions() as session:
        episode = session.get_one(Escalation, escalation_id)
        assert episode.message_ts and not episode.post_pending
    assert (
        len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == ESCALATION_CHANNEL])
        == 3
    )
    assert len(emulator.messages(ESCALATION_CHANNEL)) == 1
    assert diary_kinds(sessions).count("escalation_opened") == 1


def test_an_escalation_post_answered_502_is_posted_on_the_next_pass(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    escalation_id = open_episode(sessions)
    gateway = clock_gateway(emulator)
    emulator.fail_next("chat.postMessage", status=502)
    assert publish(sessions, gateway, escalation_id, now=DUE) is False
    assert to(emulator, CSM) == []  # passing: nobody is bothered
    run_due_work(sessions, gateway, now=DUE + timedelta(minutes=1))
    assert len(emulator.messages(ESCALATION_CHANNEL)) == 1
    assert "escalation_opened" in diary_kinds(sessions)
