"""How the clock sends under Slack's limits: a 429 holds only its own workspace, a 5xx costs seconds
in the same pass rather than a pass, and nothing is posted twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import READ_RETRIES, SlackGateway, make_client
from models import CheckIn, CheckInState
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, TOKEN
from tests.factories import make_account, make_commitment
from tests.faults.delivery import DUE

# Not a team the shared fixtures use: a workspace added to the session's emulator stays for later tests.
OTHER_TEAM, OTHER_TOKEN = "T0SECONDVENDOR", "xoxb-other-workspace"


def clock_gateway(emulator: SlackEmulator, token: str = TOKEN) -> SlackGateway:
    return SlackGateway(make_client(token=token, api_url=emulator.api_url, clock=True))


def one_due(sessions: sessionmaker[Session]) -> None:
    make_commitment(
        sessions, account_id=make_account(sessions, now=DUE - timedelta(days=7)), now=DUE - timedelta(days=7)
    )


def states(sessions: sessionmaker[Session]) -> list[CheckInState]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn.state).order_by(CheckIn.id)))


def posts_to(emulator: SlackEmulator, user: str) -> int:
    return sum(1 for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == user)


def test_a_429_pauses_its_own_workspace_while_another_workspace_posts_at_once(
    emulator: SlackEmulator,
) -> None:
    emulator.add_workspace(OTHER_TEAM, token=OTHER_TOKEN)
    for user in ("U0FIRST", "U0SECOND"):
        emulator.add_user(user)
    emulator.add_user("U0ELSEWHERE", team_id=OTHER_TEAM)
    emulator.set_rate_limit("chat.postMessage", per_minute=60, window_seconds=1)  # one a second each
    ours, theirs = clock_gateway(emulator), clock_gateway(emulator, OTHER_TOKEN)
    assert ours.pacer is not None and theirs.pacer is not None
    ours.post_message("U0FIRST", text="first")
    second = threading.Thread(target=lambda: ours.post_message("U0SECOND", text="second"))
    second.start()
    deadline = time.monotonic() + 5
    while ours.pacer.paused_until == 0.0 and time.monotonic() < deadline:  # the second one's 429
        time.sleep(0.01)
    assert ours.pacer.paused_until > time.monotonic()
    theirs.post_message("U0ELSEWHERE", text="not held")
    assert ours.pacer.paused_until > time.monotonic()  # still paused when the other workspace went out
    assert theirs.pacer.paused_until == 0.0
    second.join(timeout=10)
    assert [len(emulator.messages(u)) for u in ("U0FIRST", "U0SECOND", "U0ELSEWHERE")] == [1, 1, 1]


def test_a_long_retry_after_defers_the_message_to_a_later_pass_instead_of_waiting(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    emulator.rate_limit_next("chat.postMessage", retry_after=30)
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert (report.sent, report.deferred) == (0, 1)
    with sessions() as session:
        [row] = session.scalars(select(CheckIn)).all()
        assert row.state is CheckInState.DUE and row.next_attempt_at == DUE + timedelta(seconds=30)


def test_a_check_in_answered_5xx_goes_out_once_in_the_same_pass(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    emulator.fail_next("chat.postMessage", status=503)
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert report.sent == 1 and states(sessions) == [CheckInState.SENT]
    assert len(emulator.messages(CHAMPION)) == 1


def test_a_5xx_after_slack_posted_is_recorded_from_the_history_not_posted_again(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    emulator.fail_randomly("chat.postMessage", rate=1.0, after_effect=1.0)
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert report.sent == 1 and states(sessions) == [CheckInState.SENT]
    assert posts_to(emulator, CHAMPION) == 1 and len(emulator.messages(CHAMPION)) == 1


def test_a_5xx_on_the_post_and_then_on_its_history_still_sends_once_in_the_same_pass(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    emulator.fail_next("chat.postMessage", status=503)  # before posting
    emulator.fail_next("conversations.history", status=502)  # the read that would say so
    report = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert report.sent == 1 and states(sessions) == [CheckInState.SENT]
    assert len(emulator.messages(CHAMPION)) == 1


def test_a_post_whose_answer_and_history_both_fail_is_settled_by_the_next_pass_not_after_the_lease(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    one_due(sessions)
    emulator.fail_randomly("chat.postMessage", rate=1.0, after_effect=1.0)  # posted, answer lost
    emulator.fail_next("conversations.history", status=503, count=1 + READ_RETRIES)  # and its retries
    first = run_due_work(sessions, clock_gateway(emulator), now=DUE)
    assert first.sent == 0 and states(sessions) == [CheckInState.SENDING]
    second = run_due_work(sessions, clock_gateway(emulator), now=DUE + timedelta(minutes=1))
    assert second.reconciled_sent == 1 and states(sessions) == [CheckInState.SENT]
    assert posts_to(emulator, CHAMPION) == 1 and len(emulator.messages(CHAMPION)) == 1
