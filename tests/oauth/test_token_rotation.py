"""With token rotation on, a bot token about to expire is refreshed before the clock sends with it, and
the new token (and refresh token) are stored encrypted."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.installs.clients import Installations
from models import Tenant
from models.installations import slack_bots
from tests.oauth.conftest import ALPHA, CLIENT_ID, CLIENT_SECRET, OAuthApp


def test_an_expiring_token_is_refreshed_and_stored_encrypted(
    oauth_app: OAuthApp, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    emulator = oauth_app.emulator
    emulator.enable_oauth(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[f"{oauth_app.url}/slack/oauth_redirect"],
        token_rotation=True,
    )
    assert oauth_app.install(ALPHA).status == 200
    (first,) = emulator.tokens_of(ALPHA)
    # Tokens live 12 hours; refreshing when less than 13 hours remain means refreshing now.
    installations = Installations.from_settings(
        replace(oauth_app.settings, token_rotation_expiration_minutes=780), engine
    )

    client = installations.client_for(Tenant(team_id=ALPHA))

    (second,) = emulator.tokens_of(ALPHA)
    assert second != first and client.token == second
    assert client.auth_test()["team_id"] == ALPHA
    with engine.connect() as connection:
        stored = repr(list(connection.execute(select(slack_bots))))
    assert second not in stored and "xoxe-1-" not in stored
    refreshes = [
        c for c in emulator.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
