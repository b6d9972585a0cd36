"""An org-wide install on an Enterprise Grid organisation, end to end: Bolt's OAuth flow stores one
installation for the organisation, requests from any of its workspaces are authorized by it, the clock
sends with its token, and a separate workspace's installation never sees its rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.installs.clients import Installations
from bot.installs.clock import run_per_installation
from bot.installs.encryption import TokenCipher
from bot.installs.store import installation_store
from bot.slack.gateway import SlackGateway
from models import Account, CheckIn, CheckInState, Commitment, WorkspaceInstall
from slack_emulator import Call
from slack_emulator.outbound import SlackSender
from tests.conftest import SIGNING_SECRET, Clock
from tests.oauth.conftest import ALPHA, CLIENT_ID, KEY, PEOPLE, OAuthApp, add_to_slack_href, get, state_cookie
from tests.oauth.test_install_flow import stored_rows

GRID = "E0GRID"
GRID_TEAM = "T0GRIDSALES"  # one workspace of the organisation
GRID_CSM, GRID_ENGINEER, GRID_DESK, GRID_ESC = "U0GRIDCSM", "U0GRIDENG", "C0GRIDDESK", "C0GRIDESC"
TUESDAY_10_LONDON = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class Grid:
    app: OAuthApp
    sender: SlackSender

    def run(self, text: str) -> str:
        before = len(self.app.emulator.calls_to("response_url"))
        result = self.sender.command(text, user_id=GRID_CSM, team_id=GRID_TEAM)
        assert result.status == 200, result
        if result.body:
            return str(result.json()["text"])
        call = self.app.emulator.wait_for("response_url", count=before + 1)[before]
        return str(call.params.get("text", "")) + json.dumps(call.params.get("blocks", ""))


@pytest.fixture
def grid(oauth_app: OAuthApp) -> Grid:
    emulator = oauth_app.emulator
    emulator.add_workspace(GRID_TEAM, name="Globex Sales", enterprise_id=GRID, org_wide=True)
    for user_id in (GRID_CSM, GRID_ENGINEER):
        emulator.add_user(user_id, team_id=GRID_TEAM, enterprise_id=GRID, tz="Europe/London")
    emulator.add_channel(GRID_DESK, name="globex-desk", members=[GRID_CSM, GRID_ENGINEER], team_id=GRID_TEAM)
    emulator.add_channel(GRID_ESC, name="globex-esc", members=[GRID_CSM], team_id=GRID_TEAM)
    sender = SlackSender(
        app_url=oauth_app.url,
        signing_secret=SIGNING_SECRET,
        team_id=GRID_TEAM,
        response_url=emulator.new_response_url,
        user_team=emulator.team_of,
        trigger_id=emulator.new_trigger_id,
        enterprise_id=GRID,
    )
    return Grid(oauth_app, sender)


def install_org_wide(app: OAuthApp) -> None:
    page = get(f"{app.url}/slack/install")
    app.emulator.install_as(GRID_TEAM, GRID_CSM)
    authorized = get(add_to_slack_href(page.body))
    assert authorized.status == 302, authorized
    done = get(authorized.headers["Location"], cookie=state_cookie(page))
    assert done.status == 200 and 'id="installed"' in done.body, done


def clock_pass(
    app: OAuthApp, engine: Engine, sessions: sessionmaker[Session], clock: Clock, now: datetime
) -> None:
    installations = Installations.from_settings(app.settings, engine)
    clock.now = now
    run_per_installation(sessions, lambda tenant: SlackGateway(installations.client_for(tenant)), now=now)


def with_token_of(app: OAuthApp, team_id: str, calls: list[Call]) -> list[Call]:
    tokens = {f"Bearer {token}" for token in app.emulator.tokens_of(team_id)}
    return [c for c in calls if c.headers.get("Authorization", "") in tokens]


def test_an_org_wide_install_is_stored_once_for_the_organisation_with_its_token_encrypted(
    grid: Grid, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    install_org_wide(grid.app)

    (token,) = grid.app.emulator.tokens_of(GRID_TEAM)
    assert token not in stored_rows(engine)
    store = installation_store(engine, client_id=CLIENT_ID, cipher=TokenCipher(KEY))
    bot = store.find_bot(enterprise_id=GRID, team_id=None, is_enterprise_install=True)
    assert bot is not None and bot.bot_token == token and bot.is_enterprise_install
    with sessions() as session:
        (row,) = session.scalars(select(WorkspaceInstall))
    assert (row.tenant_key, row.is_enterprise_install, row.uninstalled_at) == (GRID, True, None)


def test_a_workspace_of_the_organisation_works_through_the_org_wide_install_and_stays_apart(
    grid: Grid, engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    install_org_wide(grid.app)
    assert grid.app.install(ALPHA).status == 200  # a separate workspace's own installation
    clock.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

    reply = grid.run(
        f"account add Globex channel:<#{GRID_DESK}|desk> escalations:<#{GRID_ESC}|esc> "
        f"champion:<@{GRID_ENGINEER}|eng>"
    )
    assert "Globex" in reply, reply
    reply = grid.run(f'commit Globex vendor <@{GRID_ENGINEER}|eng> "Ship the SSO fix" every day at 10:00')
    assert "Ship the SSO fix" in reply, reply
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        commitment = session.scalars(select(Commitment)).one()
    assert (account.enterprise_id, account.team_id) == (GRID, GRID_TEAM)
    assert commitment.enterprise_id == GRID

    alpha_csm = PEOPLE[ALPHA][0]
    before = len(grid.app.emulator.calls_to("response_url"))
    grid.app.sender(ALPHA).command("list Globex", user_id=alpha_csm, team_id=ALPHA)
    alpha_reply = grid.app.emulator.wait_for("response_url", count=before + 1)[before]
    assert "Ship the SSO fix" not in json.dumps(alpha_reply.params)

    start = len(grid.app.emulator.calls)
    clock_pass(grid.app, engine, sessions, clock, TUESDAY_10_LONDON)
    posted = grid.app.emulator.calls[start:]
    dms = [c for c in posted if c.method == "chat.postMessage" and c.params["channel"] == GRID_ENGINEER]
    assert len(dms) == 1 and "Ship the SSO fix" in json.dumps(dms[0].params["blocks"])
    assert with_token_of(grid.app, GRID_TEAM, dms) == dms  # the organisation's own token
    assert not with_token_of(grid.app, ALPHA, posted)  # Alpha has nothing due: nothing sent for it
    with sessions() as session:
        checkin = session.scalars(select(CheckIn)).one()
    assert checkin.state is CheckInState.SENT and checkin.enterprise_id == GRID

    ts = grid.app.emulator.messages(grid.app.emulator.dm_channel(GRID_ENGINEER))[-1]["ts"]
    value = next(
        element["value"]
        for block in dms[0].params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "checkin_answer_done"
    )
    clicked = grid.sender.click(
        action_id="checkin_answer_done",
        value=value,
        user_id=GRID_ENGINEER,
        channel_id=grid.app.emulator.dm_channel(GRID_ENGINEER),
        message_ts=ts,
    )
    assert clicked.status == 200
    grid.app.quiet()
    with sessions() as session:
        assert session.scalars(select(CheckIn)).one().state is CheckInState.ANSWERED
