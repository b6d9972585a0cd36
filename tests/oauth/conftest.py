"""OAuth mode end to end: the real app over loopback HTTP in distribution mode, its own Slack emulator
with two more workspaces that install it through the real OAuth flow."""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import ThreadingWSGIServer, WebApp, create_web_app, serve_in_thread
from bot.installs.clients import Installations
from bot.installs.clock import run_per_installation
from bot.settings import Settings
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from models import Commitment
from models.tenancy import scoped_models
from slack_emulator import Call, SlackEmulator
from slack_emulator.outbound import SlackSender
from slack_emulator.records import Headers
from tests.conftest import SIGNING_SECRET, Clock

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-of-the-app"
STATE_SECRET = "state-secret-of-the-app"
KEY = Fernet.generate_key().decode()

ALPHA, BETA = "T0ALPHA", "T0BETA"
# Per workspace: its CSM, its customer champion (a guest of that workspace), its shared channel.
PEOPLE = {
    ALPHA: ("U0ALPHACSM", "U0ALPHACHAMP", "C0ALPHADESK"),
    BETA: ("U0BETACSM", "U0BETACHAMP", "C0BETADESK"),
}
ESCALATIONS = {ALPHA: "C0ALPHAESC", BETA: "C0BETAESC"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, *, cookie: str | None = None) -> Response:
    """A plain GET, redirects not followed, the way a browser's first hop would look."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _opener.open(request, timeout=10) as reply:
            return Response(reply.status, Headers(reply.headers.items()), reply.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, Headers(error.headers.items()), error.read().decode())


def add_to_slack_href(page: str) -> str:
    match = re.search(r'id="add-to-slack" href="([^"]+)"', page)
    assert match, page
    return unescape(match.group(1))


def state_cookie(response: Response) -> str:
    return response.headers["Set-Cookie"].split(";", 1)[0]


@dataclass
class OAuthApp:
    url: str
    server: ThreadingWSGIServer
    emulator: SlackEmulator
    settings: Settings

    def quiet(self) -> None:
        """Wait for the work listeners do after their ack."""
        web_app = self.server.get_app()
        assert isinstance(web_app, WebApp)
        assert web_app.listeners.wait_quiet()

    def sender(self, team_id: str) -> SlackSender:
        return SlackSender(
            app_url=self.url,
            signing_secret=SIGNING_SECRET,
            team_id=team_id,
            response_url=self.emulator.new_response_url,
            user_team=self.emulator.team_of,
            trigger_id=self.emulator.new_trigger_id,
        )

    def install(self, team_id: str) -> Response:
        """Someone of `team_id` goes through the whole install: page, Slack's authorize page, redirect."""
        page = get(f"{self.url}/slack/install")
        assert page.status == 200, page
        self.emulator.install_as(team_id, PEOPLE[team_id][0])
        authorized = get(add_to_slack_href(page.body))
        assert authorized.status == 302, authorized
        return get(authorized.headers["Location"], cookie=state_cookie(page))


@pytest.fixture(scope="session")
def oauth_emulator() -> Iterator[SlackEmulator]:
    # The emulator's own workspace is not one of the two installing here: its token is never used.
    with SlackEmulator(token="xoxb-not-installed", team_id="T0ELSEWHERE").start() as emulator:
        for team_id, name in ((ALPHA, "Alpha"), (BETA, "Beta")):
            emulator.add_workspace(team_id, name=name)
        yield emulator


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def oauth_app(
    oauth_emulator: SlackEmulator,
    engine: Engine,
    sessions: sessionmaker[Session],
    database_url: str,
    clock: Clock,
) -> Iterator[OAuthApp]:
    emulator = oauth_emulator
    emulator.reset()
    for team_id, (csm, champion, desk) in PEOPLE.items():
        emulator.add_user(csm, team_id=team_id, name=csm.lower(), tz="America/New_York")
        emulator.add_user(
            champion, team_id=team_id, name=champion.lower(), tz="Europe/London", is_restricted=True
        )
        emulator.add_channel(
            desk, name=f"{team_id.lower()}-desk", members=[csm, champion], team_id=team_id, is_ext_shared=True
        )
        emulator.add_channel(
            ESCALATIONS[team_id], name=f"{team_id.lower()}-esc", members=[csm], team_id=team_id
        )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    emulator.enable_oauth(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[f"{url}/slack/oauth_redirect"]
    )
    settings = Settings(
        signing_secret=SIGNING_SECRET,
        api_url=emulator.api_url,
        database_url=database_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        state_secret=STATE_SECRET,
        encryption_key=KEY,
        redirect_uri=f"{url}/slack/oauth_redirect",
    )
    # Alpha's CSM is an accountability admin: allowed everything on every account of *its* workspace, so
    # only the installation scope keeps Beta's accounts out of reach.
    deps = Deps(sessions=sessions, clock=clock, admins=frozenset({PEOPLE[ALPHA][0]}))
    server = serve_in_thread(create_web_app(settings, engine=engine, deps=deps), port=port)
    yield OAuthApp(url=url, server=server, emulator=emulator, settings=settings)
    server.shutdown()
    server.server_close()


MARKER = {ALPHA: "Alpha-only weekly bookings", BETA: "Beta-only onboarding export"}
OTHER = {ALPHA: BETA, BETA: ALPHA}
TUESDAY_CHECKINS = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)


@dataclass
class Workspaces:
    app: OAuthApp
    sessions: sessionmaker[Session]
    engine: Engine
    clock: Clock
    commitment: dict[str, int]

    @property
    def emulator(self) -> SlackEmulator:
        return self.app.emulator

    def team_of_call(self, call: Call) -> str | None:
        header = call.headers.get("Authorization", "")
        for team_id in (ALPHA, BETA):
            if any(header == f"Bearer {token}" for token in self.emulator.tokens_of(team_id)):
                return team_id
        return None

    def calls_since(self, start: int) -> list[Call]:
        return [
            c
            for c in self.emulator.calls[start:]
            if c.method not in ("response_url", "oauth.v2.access", "files.upload")
        ]

    def run(self, team_id: str, text: str, *, user_id: str | None = None) -> str:
        before = len(self.emulator.calls_to("response_url"))
        result = self.app.sender(team_id).command(
            text, user_id=user_id or PEOPLE[team_id][0], team_id=team_id
        )
        assert result.status == 200, result
        if result.body:
            return str(result.json()["text"])
        call = self.emulator.wait_for("response_url", count=before + 1)[before]
        return str(call.params.get("text", "")) + json.dumps(call.params.get("blocks", ""))

    def snapshot(self, team_id: str) -> tuple[Any, ...]:
        """Every row of every workspace table belonging to the workspace, read without a tenant scope."""
        with self.sessions() as session:
            return tuple(
                sorted(map(tuple, session.execute(select(model.__table__).where(model.team_id == team_id))))
                for model in scoped_models()
            )

    def clock_pass(self, now: datetime) -> None:
        installations = Installations.from_settings(self.app.settings, self.engine)
        self.clock.now = now
        run_per_installation(
            self.sessions, lambda tenant: SlackGateway(installations.client_for(tenant)), now=now
        )


@pytest.fixture
def workspaces(
    oauth_app: OAuthApp, sessions: sessionmaker[Session], engine: Engine, clock: Clock
) -> Iterator[Workspaces]:
    spaces = Workspaces(oauth_app, sessions, engine, clock, {})
    for team_id in (ALPHA, BETA):
        assert oauth_app.install(team_id).status == 200
        _csm, champion, desk = PEOPLE[team_id]
        reply = spaces.run(
            team_id,
            f"account add Acme channel:<#{desk}|desk> escalations:<#{ESCALATIONS[team_id]}|esc> "
            f"champion:<@{champion}|champ>",
        )
        assert "Acme" in reply, reply
        reply = spaces.run(
            team_id, f'commit Acme customer <@{champion}|champ> "{MARKER[team_id]}" every day at 10:00'
        )
        with sessions() as session:
            spaces.commitment[team_id] = session.scalars(
                select(Commitment.id).where(Commitment.team_id == team_id)
            ).one()
    yield spaces
    oauth_app.quiet()


def agree(spaces: Workspaces, team_id: str) -> None:
    """The workspace's champion agrees to its plan, so its customer check-ins start."""
    _csm, champion, desk = PEOPLE[team_id]
    assert spaces.run(team_id, "agreement Acme").startswith("Posted version")
    plan = [
        c
        for c in spaces.emulator.calls_to("chat.postMessage")
        if c.params["channel"] == desk and "thread_ts" not in c.params
    ][-1]
    value = buttons(plan.params["blocks"])["agreement_agree"]
    updates = len(spaces.emulator.calls_to("chat.update"))
    spaces.app.sender(team_id).click(
        action_id="agreement_agree",
        value=value,
        user_id=champion,
        channel_id=desk,
        message_ts=spaces.emulator.messages(desk)[-1]["ts"],
        team_id=team_id,
    )
    spaces.emulator.wait_for("chat.update", count=updates + 1)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if "value" in element
    }
