"""A check-in answer whose message Slack will not redraw: the answer stays on record and the person is
told so, instead of being left looking at the old buttons."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from handlers.actions.checkin import on_answer
from handlers.deps import Deps
from handlers.replies import RECORDED_NOT_SHOWN
from models import Answer, CheckIn
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, Clock
from tests.factories import make_account, make_commitment
from tests.handlers.conftest import acked

MONDAY_10_LONDON = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def sent_checkin(sessions: sessionmaker[Session], gateway: SlackGateway, clock: Clock) -> CheckIn:
    account_id = make_account(sessions, now=clock.now)
    make_commitment(sessions, account_id=account_id, now=clock.now)
    report = run_due_work(sessions, gateway, now=MONDAY_10_LONDON)
    assert report.sent == 1
    with sessions() as session:
        return session.scalars(select(CheckIn)).one()


def test_a_done_click_whose_message_cannot_be_redrawn_is_recorded_and_the_owner_told(
    ack: Ack,
    client: WebClient,
    deps: Deps,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    checkin = sent_checkin(sessions, gateway, clock)
    clock.now = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    emulator.error_next("chat.update", "message_not_found")
    body = {"user": {"id": CHAMPION}, "channel": {"id": checkin.channel_id}}
    on_answer(
        ack,
        body,
        {"action_id": "checkin_answer_done", "value": str(checkin.id)},
        client,
        BoltContext(),
        deps=deps,
    )
    assert acked(ack) == {}
    with sessions() as session:
        assert session.get_one(CheckIn, checkin.id).answer is Answer.DONE
    told = [c for c in emulator.calls_to("chat.postMessage") if c.params["text"] == RECORDED_NOT_SHOWN]
    assert [c.params["channel"] for c in told] == [CHAMPION]
