"""A workspace that uninstalls the app (or revokes its bot token) gets nothing more from it at once; its
data stays, /healthz says so, and installing again picks up where it stopped."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

from sqlalchemy import select

from models import WorkspaceInstall
from tests.oauth.conftest import ALPHA, BETA, MARKER, PEOPLE, TUESDAY_CHECKINS, Workspaces, agree


def healthz(spaces: Workspaces) -> dict[str, object]:
    with urllib.request.urlopen(f"{spaces.app.url}/healthz", timeout=10) as reply:
        body = json.loads(reply.read())
    assert isinstance(body, dict)
    return body


def dms_by_team(spaces: Workspaces, start: int) -> dict[str | None, list[str]]:
    sent: dict[str | None, list[str]] = {}
    for call in spaces.calls_since(start):
        if call.method == "chat.postMessage" and call.params["channel"][0] == "U":
            sent.setdefault(spaces.team_of_call(call), []).append(call.params["channel"])
    return sent


def uninstall(spaces: Workspaces, team_id: str) -> None:
    spaces.emulator.revoke(team_id)  # Slack revokes the tokens, then tells the app
    assert spaces.app.sender(team_id).event({"type": "app_uninstalled"}).status == 200
    spaces.app.quiet()


def test_an_uninstalled_workspace_gets_nothing_and_keeps_its_data(workspaces: Workspaces) -> None:
    agree(workspaces, ALPHA)
    agree(workspaces, BETA)
    beta_data = workspaces.snapshot(BETA)
    uninstalled_at = workspaces.clock.now

    uninstall(workspaces, BETA)
    start = len(workspaces.emulator.calls)
    workspaces.clock_pass(TUESDAY_CHECKINS)
    command = workspaces.app.sender(BETA).command("list", user_id=PEOPLE[BETA][0], team_id=BETA)
    workspaces.app.quiet()

    assert dms_by_team(workspaces, start) == {ALPHA: [PEOPLE[ALPHA][1]]}
    assert all(workspaces.team_of_call(c) == ALPHA for c in workspaces.calls_since(start))
    assert MARKER[BETA] not in command.body
    assert workspaces.snapshot(BETA) == beta_data
    stopped = healthz(workspaces)["workspaces"]
    assert stopped == {
        "installed": 1,
        "stopped": [
            {
                "workspace": BETA,
                "since": uninstalled_at.isoformat(),
                "reason": "app_uninstalled",
                "sends": "stopped; data kept until reinstall",
            }
        ],
    }


def test_a_reinstall_resumes_sending_with_the_new_token(workspaces: Workspaces) -> None:
    agree(workspaces, BETA)
    uninstall(workspaces, BETA)
    workspaces.clock_pass(TUESDAY_CHECKINS)

    assert workspaces.app.install(BETA).status == 200
    start = len(workspaces.emulator.calls)
    workspaces.clock_pass(datetime(2026, 11, 24, 10, 15, tzinfo=UTC))

    assert dms_by_team(workspaces, start) == {BETA: [PEOPLE[BETA][1]]}
    with workspaces.sessions() as session:
        row = session.scalars(select(WorkspaceInstall).where(WorkspaceInstall.tenant_key == BETA)).one()
    assert row.uninstalled_at is None
    assert healthz(workspaces)["workspaces"] == {"installed": 2, "stopped": []}


def test_only_a_revoked_bot_token_stops_sends(workspaces: Workspaces) -> None:
    agree(workspaces, BETA)
    sender = workspaces.app.sender(BETA)

    sender.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0BETACSM"]}})
    workspaces.app.quiet()
    assert healthz(workspaces)["workspaces"] == {"installed": 2, "stopped": []}

    sender.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT3"]}})
    workspaces.app.quiet()
    start = len(workspaces.emulator.calls)
    workspaces.clock_pass(TUESDAY_CHECKINS)

    body = healthz(workspaces)["workspaces"]
    assert isinstance(body, dict) and [s["reason"] for s in body["stopped"]] == ["tokens_revoked"]
    assert BETA not in dms_by_team(workspaces, start)
