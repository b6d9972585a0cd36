"""The App Home for a champion and for a CSM, and that each sees only their own accounts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM, OTHER_CHAMPION, OUTSIDER_VENDOR, Clock, RunningApp
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

ADD_BETA = (
    "account add Beta channel:<#C0BETA> escalations:<#C0BETAESC> champion:<@U0OTHER> csm:<@U0SALES> "
    'outcome:"Beta ships weekly"'
)


def home_of(web: RunningApp, emulator: SlackEmulator, user_id: str) -> str:
    before = len(emulator.calls_to("views.publish"))
    web.slack.event({"type": "app_home_opened", "user": user_id, "channel": "D0X", "tab": "home"})
    return json.dumps(emulator.wait_for("views.publish", count=before + 1)[before].params["view"]["blocks"])


def set_up_two_accounts(web: RunningApp, emulator: SlackEmulator) -> None:
    emulator.add_channel("C0BETA", name="beta-shared", is_ext_shared=True)
    emulator.add_channel("C0BETAESC", name="beta-escalations", members=[CSM, OUTSIDER_VENDOR])
    run(web, emulator, ADD_ACME + ' outcome:"Acme onboards every team"')
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Send the usage report" every monday at 10:00')
    run(web, emulator, 'commit Acme vendor <@U0CSM> "Review the usage report" every monday at 12:00')
    agree_to_plan(web, emulator)
    run(web, emulator, ADD_BETA)
    run(web, emulator, 'commit Beta customer <@U0OTHER> "Share the release plan" every monday at 10:00',
        user_id=OUTSIDER_VENDOR)  # fmt: skip
    run(web, emulator, "agreement Beta", user_id=OUTSIDER_VENDOR)


def test_champion_sees_their_open_checkins_and_their_accounts_only(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_two_accounts(web, emulator)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    home = home_of(web, emulator, CHAMPION)
    assert "Send the usage report" in home and "checkin_answer_done" in home
    assert "Acme onboards every team" in home
    assert "Beta" not in home and "Share the release plan" not in home
    assert "kept" not in home  # scorecards are for the vendor's managers of the account
    assert "How we keep each other on track" in home and "Two misses in the last 4" in home

    other = home_of(web, emulator, OTHER_CHAMPION)
    assert "Beta ships weekly" in other
    assert "Acme" not in other and "Send the usage report" not in other


def test_csm_sees_each_sides_kept_rate_for_their_accounts(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_two_accounts(web, emulator)
    # Monday 10:00 London for the champion, 12:00 New York for the CSM's own commitment.
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    dm = next(c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION)
    channel = emulator.dm_channel(CHAMPION)
    clock.now = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)
    web.slack.click(action_id="checkin_answer_done", value=buttons(dm.params["blocks"])["checkin_answer_done"],
                    user_id=CHAMPION, channel_id=channel, message_ts=emulator.messages(channel)[0]["ts"])  # fmt: skip
    emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == channel)
    # The vendor's own check-in goes unanswered until it closes the next evening.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # reminder, 09:00 New York
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # closed after 18:00 there
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    home = home_of(web, emulator, CSM)
    assert "Customer side kept 1 of 1 (100 %)" in home
    assert "vendor side kept 0 of 1 (0 %)" in home
    assert '1 open escalation"' in home  # the vendor's first missed check-in is raised at once
    assert "Beta" not in home
