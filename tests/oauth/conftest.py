"""OAuth mode end to end: the real app over loopback HTTP in distribution mode, its own Slack emulator
with two more workspaces that install it through the real OAuth flow."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import ThreadingWSGIServer, WebApp, create_web_app, serve_in_thread
from bot.settings import Settings
from handlers.deps import Deps
from slack_emulator import SlackEmulator
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
