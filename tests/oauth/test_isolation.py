"""Two workspaces installed through OAuth, each with an account called Acme: whatever one workspace's
people do — every command, button, App Home, event — and whatever the clock does for it, nothing of
the other workspace is read, changed or messaged. A cross-workspace Slack call could not even succeed:
the emulator refuses a token for another workspace's channels and people."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import models
from models import Account, Commitment, Tenant
from tests.oauth.conftest import (
    ALPHA,
    BETA,
    ESCALATIONS,
    MARKER,
    OTHER,
    PEOPLE,
    TUESDAY_CHECKINS,
    Workspaces,
    agree,
    buttons,
)


def test_each_workspace_has_its_own_acme(workspaces: Workspaces) -> None:
    for team_id in (ALPHA, BETA):
        listing = workspaces.run(team_id, "list Acme")
        assert MARKER[team_id] in listing and MARKER[OTHER[team_id]] not in listing


def assert_only_own(spaces: Workspaces, team_id: str, start: int, before_other: tuple[Any, ...]) -> None:
    """Nothing of the other workspace changed, and every Slack call went out with this one's token."""
    spaces.app.quiet()
    assert spaces.snapshot(OTHER[team_id]) == before_other
    for call in spaces.calls_since(start):
        assert spaces.team_of_call(call) == team_id, call
        assert MARKER[OTHER[team_id]] not in json.dumps(call.params), call


# Every subcommand, run by Alpha's CSM, some of them naming Beta's commitment (by its number) or Beta's
# people: Alpha reads and changes only its own, and Beta's numbers are unknown to it.
COMMANDS = [
    "help",
    "list",
    "list Acme",
    "diary Acme",
    "export Acme",
    "policy Acme window:5",
    "autopsy Acme",
    "digest Acme",
    "digest settings",
    "agreement Acme",
    'account edit Acme outcome:"Alpha\'s outcome"',
    'account clear-risk Acme "fine again"',
    "done #{other}",
    'cancel #{other} "not ours"',
    "pause #{other}",
    "pause Acme",
    "resume #{other}",
    'propose #{other} by dec 20 "more time"',
    "depend #{own} on #{other}",
    "undepend #{other}",
    'correct 1 "rewritten"',
    "person <@U0BETACHAMP> tz:Europe/Paris",
    "away <@U0BETACHAMP> until dec 20",
    "handover <@U0BETACHAMP> <@U0ALPHACSM>",
    'settings away-words "ooo"',
    'commit Acme customer <@U0BETACHAMP> "cross" every day',
]


@pytest.mark.parametrize("template", COMMANDS)
def test_a_command_in_one_workspace_never_reaches_the_other(workspaces: Workspaces, template: str) -> None:
    agree(workspaces, BETA)
    workspaces.clock_pass(TUESDAY_CHECKINS)
    before_beta = workspaces.snapshot(BETA)
    start = len(workspaces.emulator.calls)
    text = template.format(own=workspaces.commitment[ALPHA], other=workspaces.commitment[BETA])

    result = workspaces.app.sender(ALPHA).command(text, user_id=PEOPLE[ALPHA][0], team_id=ALPHA)
    workspaces.app.quiet()

    shown = [result.body] + [
        json.dumps(c.params)
        for c in workspaces.emulator.calls[start:]
        if c.method in ("response_url", "views.open")
    ]
    assert result.status == 200 and any(s.strip() for s in shown)
    assert not any(MARKER[BETA] in s or "Traceback" in s for s in shown)
    assert_only_own(workspaces, ALPHA, start, before_beta)


@pytest.mark.parametrize("action_id", ["checkin_answer_done", "checkin_answer_blocked", "agreement_agree"])
def test_a_button_of_one_workspace_clicked_from_the_other_changes_nothing(
    workspaces: Workspaces, action_id: str
) -> None:
    agree(workspaces, BETA)
    workspaces.clock_pass(TUESDAY_CHECKINS)
    beta_messages = [
        c for c in workspaces.emulator.calls_to("chat.postMessage") if workspaces.team_of_call(c) == BETA
    ]
    values = {k: v for c in beta_messages for k, v in buttons(c.params.get("blocks") or []).items()}
    matching = [v for k, v in values.items() if k.startswith(action_id)]
    assert matching, sorted(values)
    before_beta = workspaces.snapshot(BETA)
    start = len(workspaces.emulator.calls)
    _, champion, desk = PEOPLE[ALPHA]

    workspaces.app.sender(ALPHA).click(
        action_id=action_id,
        value=matching[0],
        user_id=champion,
        channel_id=desk,
        message_ts="1.000001",
        team_id=ALPHA,
    )

    assert_only_own(workspaces, ALPHA, start, before_beta)


def test_app_home_shows_only_the_workspaces_own_accounts(workspaces: Workspaces) -> None:
    before_beta = workspaces.snapshot(BETA)
    start = len(workspaces.emulator.calls)
    csm = PEOPLE[ALPHA][0]

    workspaces.app.sender(ALPHA).event({"type": "app_home_opened", "user": csm, "tab": "home"})

    (published,) = workspaces.emulator.wait_for("views.publish", count=1)
    assert workspaces.team_of_call(published) == ALPHA
    assert MARKER[ALPHA] in json.dumps(published.params) or "Acme" in json.dumps(published.params)
    assert_only_own(workspaces, ALPHA, start, before_beta)


# Events naming a row of the workspace they are filled in for ({checkin_ts}, {diary_ts}), sent through
# the other workspace's install: a note in a thread, a person's deactivation.
THREAD_EVENTS: dict[str, dict[str, Any]] = {
    # The owner of the other workspace's check-in, a customer of both vendors, replying in a thread of
    # their DM with Alpha's bot that names the ts of that check-in's DM.
    "message.im thread": {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ALPHAOFBETA",
        "user": "U0BETACHAMP",
        "text": "Waiting on IT",
        "thread_ts": "{checkin_ts}",
    },
    # A reply in the week's diary thread of the other workspace's shared channel.
    "message.channels": {
        "type": "message",
        "channel_type": "channel",
        "channel": "C0BETADESK",
        "user": "U0BETACHAMP",
        "text": "Waiting on IT",
        "thread_ts": "{diary_ts}",
    },
    # Its champion deactivated, as a workspace sharing a channel with them might hear.
    "user_change": {
        "type": "user_change",
        "user": {"id": "U0BETACHAMP", "team_id": BETA, "deleted": True, "name": "b"},
    },
}


@pytest.mark.parametrize(
    "event",
    [
        {"type": "member_left_channel", "user": "U0BETACHAMP", "channel": "C0BETADESK", "channel_type": "C"},
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0ALPHA",
            "user": "U0ALPHACHAMP",
            "text": "done #{other}",
        },
        {
            "type": "app_mention",
            "channel": "C0ALPHADESK",
            "user": "U0ALPHACHAMP",
            "text": "<@UBOT2> done #{other}",
        },
        *THREAD_EVENTS.values(),
    ],
    ids=["member_left_channel", "message.im", "app_mention", *THREAD_EVENTS],
)
def test_an_event_in_one_workspace_never_touches_the_other(
    workspaces: Workspaces, event: dict[str, Any]
) -> None:
    agree(workspaces, BETA)
    workspaces.clock_pass(TUESDAY_CHECKINS)
    before_beta = workspaces.snapshot(BETA)
    start = len(workspaces.emulator.calls)
    event = with_rows_of(workspaces, BETA, event)

    assert workspaces.app.sender(ALPHA).event(event).status == 200

    assert_only_own(workspaces, ALPHA, start, before_beta)


@pytest.mark.parametrize("event_id", list(THREAD_EVENTS))
def test_the_same_events_from_the_rows_own_workspace_do_change_it(
    workspaces: Workspaces, event_id: str
) -> None:
    """The control: sent through Beta's own install, each of those events changes Beta, so Alpha's
    leaving Beta untouched is the installation scope at work."""
    agree(workspaces, BETA)
    workspaces.clock_pass(TUESDAY_CHECKINS)
    before_beta = workspaces.snapshot(BETA)
    event = with_rows_of(workspaces, BETA, THREAD_EVENTS[event_id])
    if event["type"] == "message" and event["channel_type"] == "im":
        event["channel"] = "D0BETA"

    assert workspaces.app.sender(BETA).event(event).status == 200

    workspaces.app.quiet()
    assert workspaces.snapshot(BETA) != before_beta


def with_rows_of(spaces: Workspaces, team: str, event: dict[str, Any]) -> dict[str, Any]:
    """The event with the team's commitment number, check-in DM and diary thread filled in."""
    with spaces.sessions() as session:
        checkin_ts = session.scalars(
            select(models.CheckIn.message_ts).where(models.CheckIn.team_id == team)
        ).one()
        diary_ts = session.scalars(
            select(models.DiaryThread.message_ts).where(models.DiaryThread.team_id == team)
        ).one()
    assert checkin_ts and diary_ts
    wire = json.dumps(event).replace("{other}", str(spaces.commitment[team]))
    filled = json.loads(wire.replace("{checkin_ts}", checkin_ts).replace("{diary_ts}", diary_ts))
    filled["ts"] = filled["event_ts"] = "1764000000.000100"
    return dict(filled)


def test_each_clock_pass_sends_with_the_workspaces_own_token_to_its_own_people(
    workspaces: Workspaces,
) -> None:
    agree(workspaces, ALPHA)
    agree(workspaces, BETA)
    start = len(workspaces.emulator.calls)

    workspaces.clock_pass(TUESDAY_CHECKINS)

    dms = [
        c
        for c in workspaces.calls_since(start)
        if c.method == "chat.postMessage" and c.params["channel"][0] == "U"
    ]
    by_team = {team: [c for c in dms if workspaces.team_of_call(c) == team] for team in (ALPHA, BETA)}
    for team_id in (ALPHA, BETA):
        (dm,) = by_team[team_id]
        assert dm.params["channel"] == PEOPLE[team_id][1]
        assert MARKER[team_id] in json.dumps(dm.params) and MARKER[OTHER[team_id]] not in json.dumps(
            dm.params
        )


def test_a_workspace_whose_token_fails_does_not_stop_the_others_pass(workspaces: Workspaces) -> None:
    agree(workspaces, ALPHA)
    agree(workspaces, BETA)
    workspaces.emulator.revoke(BETA)  # Beta's token now fails every call
    start = len(workspaces.emulator.calls)

    workspaces.clock_pass(TUESDAY_CHECKINS)

    sent = [c for c in workspaces.calls_since(start) if c.method == "chat.postMessage"]
    dms = [
        c.params["channel"]
        for c in sent
        if workspaces.team_of_call(c) == ALPHA and c.params["channel"][0] == "U"
    ]
    assert dms == [PEOPLE[ALPHA][1]]


def test_each_workspace_gets_its_own_digest(workspaces: Workspaces) -> None:
    for team_id in (ALPHA, BETA):
        agree(workspaces, team_id)
        reply = workspaces.run(team_id, f"account edit Acme digest:<#{ESCALATIONS[team_id]}|esc>")
        assert "updated" in reply, reply
    start = len(workspaces.emulator.calls)

    workspaces.clock_pass(datetime(2026, 11, 30, 9, 5, tzinfo=UTC))

    posts = [c for c in workspaces.calls_since(start) if c.params.get("channel") in ESCALATIONS.values()]
    assert {(workspaces.team_of_call(c), c.params["channel"]) for c in posts} == {
        (ALPHA, ESCALATIONS[ALPHA]),
        (BETA, ESCALATIONS[BETA]),
    }


def test_the_tenant_filter_hides_another_workspaces_rows_from_every_query(
    workspaces: Workspaces, sessions: sessionmaker[Session]
) -> None:
    with models.acting_for(Tenant(team_id=ALPHA)), sessions() as session:
        assert {c.action for c in session.scalars(select(Commitment))} == {MARKER[ALPHA]}
        assert session.get(Commitment, workspaces.commitment[BETA]) is None
        assert session.scalar(select(func.count()).select_from(Account)) == 1
