"""Fixtures: a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL), the Slack emulator,
and the real web app served over loopback HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session, sessionmaker

import models
from app import ThreadingWSGIServer, WebApp, create_web_app, serve_in_thread
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, make_client
from handlers.deps import Deps
from models.db import make_engine, session_factory, upgrade
from slack_emulator import SlackEmulator
from slack_emulator.outbound import SlackSender

TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
VENDOR_TEAM = "T0VENDOR"
CUSTOMER_TEAM = "T0CUSTOMER"
OTHER_CUSTOMER_TEAM = "T0OTHERCO"

CSM = "U0CSM"
ADMIN = "U0ADMIN"
ENGINEER = "U0ENG"
OUTSIDER_VENDOR = "U0SALES"
CHAMPION = "U0CHAMP"
OTHER_CHAMPION = "U0OTHER"
SHARED_CHANNEL = "C0SHARED"
ESCALATION_CHANNEL = "C0ESCAL"


class Clock:
    """The app's idea of now, set by each test; HTTP signing still uses the real time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'accountability-test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    # A reachable database is required: connection errors fail the run, they never skip it.
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = session_factory(engine)
    yield factory
    with factory.begin() as session:
        for table in reversed(models.Base.metadata.sorted_tables):
            session.execute(delete(table))


def manifest_scopes() -> list[str]:
    manifest = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN, team_id=VENDOR_TEAM).start() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_server: SlackEmulator) -> SlackEmulator:
    emulator_server.reset()
    people = [
        (CSM, VENDOR_TEAM, "America/New_York", False),
        (ADMIN, VENDOR_TEAM, "America/New_York", False),
        (ENGINEER, VENDOR_TEAM, "Asia/Tokyo", False),
        (OUTSIDER_VENDOR, VENDOR_TEAM, "America/Los_Angeles", False),
        (CHAMPION, CUSTOMER_TEAM, "Europe/London", False),
        (OTHER_CHAMPION, OTHER_CUSTOMER_TEAM, "Europe/Berlin", False),
    ]
    for user_id, team_id, tz, stranger in people:
        emulator_server.add_user(user_id, team_id=team_id, name=user_id.lower(), tz=tz, is_stranger=stranger)
    # The bot's token has exactly the scopes manifest.yml asks for: a call needing another fails here.
    emulator_server.grant_scopes(manifest_scopes())
    emulator_server.add_channel(
        SHARED_CHANNEL,
        name="acme-shared",
        is_ext_shared=True,
        members=[CSM, ADMIN, ENGINEER, OUTSIDER_VENDOR, CHAMPION],
    )
    # The vendor's own channels name their members: users other tests add to the session's emulator
    # (guests, people of other organisations) must not end up in them.
    vendor_people = [CSM, ADMIN, ENGINEER, OUTSIDER_VENDOR]
    emulator_server.add_channel(ESCALATION_CHANNEL, name="acme-escalations", members=vendor_people)
    emulator_server.add_channel("C0CSMDESK", name="csm-desk", members=vendor_people)
    return emulator_server


@pytest.fixture
def settings(emulator: SlackEmulator, database_url: str) -> Settings:
    return Settings(
        bot_token=TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=emulator.api_url,
        database_url=database_url,
        admins=frozenset({ADMIN}),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))


@pytest.fixture
def gateway(emulator: SlackEmulator) -> SlackGateway:
    return SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url))


@dataclass
class RunningApp:
    url: str
    server: ThreadingWSGIServer
    slack: SlackSender

    def quiet(self) -> bool:
        """True once every listener, and the work each left for after its ack, is done."""
        app = self.server.get_app()
        assert isinstance(app, WebApp)
        return app.listeners.wait_quiet()


@pytest.fixture
def web(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: Clock, emulator: SlackEmulator
) -> Iterator[RunningApp]:
    deps = Deps(sessions=sessions, admins=settings.admins, clock=clock)
    server = serve_in_thread(create_web_app(settings, engine=engine, deps=deps))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    sender = SlackSender(
        app_url=url,
        signing_secret=SIGNING_SECRET,
        team_id=VENDOR_TEAM,
        response_url=emulator.new_response_url,
        user_team=emulator.team_of,
        trigger_id=emulator.new_trigger_id,
    )
    yield RunningApp(url=url, server=server, slack=sender)
    server.shutdown()
    server.server_close()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
