"""Installing the app in a workspace through Bolt's OAuth flow, over real HTTP against the emulator."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import SettingsError, create_web_app
from bot.installs.encryption import TokenCipher
from bot.installs.pages import manifest_scopes
from bot.installs.store import installation_store
from models import WorkspaceInstall
from models.installations import slack_bots, slack_installations
from tests.oauth.conftest import (
    ALPHA,
    CLIENT_ID,
    KEY,
    PEOPLE,
    OAuthApp,
    add_to_slack_href,
    get,
    state_cookie,
)


def stored_rows(engine: Engine) -> str:
    with engine.connect() as connection:
        return repr(
            [*connection.execute(select(slack_installations)), *connection.execute(select(slack_bots))]
        )


def test_the_install_page_explains_every_scope_and_links_to_slack(oauth_app: OAuthApp) -> None:
    page = get(f"{oauth_app.url}/slack/install")

    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    for scope in manifest_scopes():
        assert f'<code class="scope">{scope.name}</code>' in page.body
        assert scope.why.split(" (")[0].replace("'", "&#x27;").replace('"', "&quot;") in page.body
    href = urllib.parse.urlsplit(add_to_slack_href(page.body))
    query = urllib.parse.parse_qs(href.query)
    assert oauth_app.emulator.base_url.rstrip("/") + href.path == oauth_app.settings.authorization_url
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == {scope.name for scope in manifest_scopes()}
    assert query["state"][0] in page.headers["Set-Cookie"]


def test_an_install_stores_the_bot_token_encrypted_and_the_workspace_as_live(
    oauth_app: OAuthApp, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    done = oauth_app.install(ALPHA)

    assert done.status == 200 and 'id="installed"' in done.body and "Alpha" in done.body
    (token,) = oauth_app.emulator.tokens_of(ALPHA)
    assert token not in stored_rows(engine)
    bot = installation_store(engine, client_id=CLIENT_ID, cipher=TokenCipher(KEY)).find_bot(
        enterprise_id=None, team_id=ALPHA
    )
    assert bot is not None and bot.bot_token == token and bot.bot_user_id == "UBOT2"
    with sessions() as session:
        (row,) = session.scalars(select(WorkspaceInstall))
    assert (row.tenant_key, row.team_name, row.uninstalled_at) == (ALPHA, "Alpha", None)


def test_a_reused_state_is_refused(oauth_app: OAuthApp) -> None:
    page = get(f"{oauth_app.url}/slack/install")
    oauth_app.emulator.install_as(ALPHA, PEOPLE[ALPHA][0])
    back = get(add_to_slack_href(page.body)).headers["Location"]
    assert get(back, cookie=state_cookie(page)).status == 200

    again = get(back, cookie=state_cookie(page))

    assert again.status == 401 and 'id="failed"' in again.body and "already used" in again.body


def test_a_forged_state_is_refused_before_slack_is_asked(oauth_app: OAuthApp) -> None:
    page = get(f"{oauth_app.url}/slack/install")
    oauth_app.emulator.install_as(ALPHA, PEOPLE[ALPHA][0])
    back = urllib.parse.urlsplit(get(add_to_slack_href(page.body)).headers["Location"])
    code = urllib.parse.parse_qs(back.query)["code"][0]
    forged = "0" * 36 + ".0123456789abcdef0123456789abcdef"

    refused = get(
        f"{oauth_app.url}/slack/oauth_redirect?code={code}&state={forged}",
        cookie=f"slack-app-oauth-state={forged}",
    )

    assert refused.status == 401 and "already used" in refused.body
    assert oauth_app.emulator.calls_to("oauth.v2.access") == []
    assert oauth_app.emulator.tokens_of(ALPHA) == []


def test_a_state_from_another_browser_is_refused(oauth_app: OAuthApp) -> None:
    page = get(f"{oauth_app.url}/slack/install")
    oauth_app.emulator.install_as(ALPHA, PEOPLE[ALPHA][0])
    back = get(add_to_slack_href(page.body)).headers["Location"]

    refused = get(back)  # no state cookie

    assert refused.status == 400 and "different browser" in refused.body


def test_cancelling_on_slacks_page_shows_why_nothing_was_installed(oauth_app: OAuthApp) -> None:
    page = get(f"{oauth_app.url}/slack/install")
    back = get(add_to_slack_href(page.body)).headers["Location"]  # nobody allowed it

    shown = get(back, cookie=state_cookie(page))

    assert 'id="failed"' in shown.body and "cancelled" in shown.body


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"encryption_key": None}, "set ACCOUNTABILITY_ENCRYPTION_KEY"),
        ({"encryption_key": "not-a-key"}, "key 1 is not a Fernet key"),
        ({"state_secret": None}, "OAuth mode needs SLACK_STATE_SECRET"),
    ],
)
def test_oauth_mode_refuses_to_start_half_configured(
    oauth_app: OAuthApp, engine: Engine, changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(SettingsError, match=problem) as refused:
        create_web_app(replace(oauth_app.settings, **changes), engine=engine)
    assert "\n" not in str(refused.value)
