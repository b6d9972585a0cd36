"""The emulator's install flow and its workspaces are as strict as Slack's."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import SlackEmulator

REDIRECT = "https://app.example.com/slack/oauth_redirect"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator(token="xoxb-home", team_id="T0HOME").start() as emulator:
        emulator.add_workspace("T0ONE", name="One")
        emulator.add_workspace("T0TWO", name="Two", enterprise_id="E0GRID", org_wide=True)
        yield emulator


@pytest.fixture
def emulator(slack: SlackEmulator) -> SlackEmulator:
    slack.reset()
    slack.enable_oauth(client_id="1.2", client_secret="shh", redirect_uris=[REDIRECT])
    slack.add_user("U0ONE", team_id="T0ONE", name="one")
    slack.add_user("U0TWO", team_id="T0TWO", name="two")
    slack.add_channel("C0ONE", name="one-general", team_id="T0ONE")
    slack.add_channel("C0TWO", name="two-general", team_id="T0TWO")
    slack.add_channel("C0HOME", name="home-general")
    return slack


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def authorize(emulator: SlackEmulator, **params: str) -> tuple[int, str]:
    query = urllib.parse.urlencode(
        {"client_id": "1.2", "scope": "chat:write,users:read", "state": "s1", **params}
    )
    try:
        with urllib.request.build_opener(_Stay).open(
            f"{emulator.base_url}oauth/v2/authorize?{query}"
        ) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location") or error.read().decode()


def code_for(emulator: SlackEmulator, team_id: str, user_id: str, **params: str) -> str:
    emulator.install_as(team_id, user_id)
    status, location = authorize(emulator, **params)
    assert status == 302, location
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def client(emulator: SlackEmulator, token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=emulator.api_url)


def test_a_code_becomes_a_bot_token_of_that_workspace_once(emulator: SlackEmulator) -> None:
    code = code_for(emulator, "T0ONE", "U0ONE", redirect_uri=REDIRECT)
    access = client(emulator).oauth_v2_access(
        client_id="1.2", client_secret="shh", code=code, redirect_uri=REDIRECT
    )

    assert access["team"] == {"id": "T0ONE", "name": "One"} and access["authed_user"] == {"id": "U0ONE"}
    assert access["scope"] == "chat:write,users:read" and not access["is_enterprise_install"]
    me = client(emulator, access["access_token"]).auth_test()
    assert (me["team_id"], me["user_id"]) == ("T0ONE", access["bot_user_id"])
    with pytest.raises(SlackApiError, match="invalid_code"):
        client(emulator).oauth_v2_access(
            client_id="1.2", client_secret="shh", code=code, redirect_uri=REDIRECT
        )


@pytest.mark.parametrize(
    ("credentials", "error"),
    [
        ({"client_id": "9.9", "client_secret": "shh"}, "invalid_client_id"),
        ({"client_id": "1.2", "client_secret": "wrong"}, "bad_client_secret"),
        (
            {"client_id": "1.2", "client_secret": "shh", "redirect_uri": "https://elsewhere.example.com/cb"},
            "bad_redirect_uri",
        ),
        ({"client_id": "1.2", "client_secret": "shh", "code": "1.made-up"}, "invalid_code"),
    ],
)
def test_oauth_access_refuses_what_slack_refuses(
    emulator: SlackEmulator, credentials: dict[str, str], error: str
) -> None:
    code = code_for(emulator, "T0ONE", "U0ONE", redirect_uri=REDIRECT)
    with pytest.raises(SlackApiError, match=error):
        client(emulator).oauth_v2_access(**{"code": code, "redirect_uri": REDIRECT, **credentials})
    assert emulator.tokens_of("T0ONE") == []


def test_the_authorize_page_refuses_an_unknown_client_or_redirect(emulator: SlackEmulator) -> None:
    assert authorize(emulator, client_id="9.9")[0] == 400
    assert authorize(emulator, redirect_uri="https://evil.example.com/cb")[0] == 400


def test_nobody_allowing_the_install_sends_access_denied(emulator: SlackEmulator) -> None:
    status, location = authorize(emulator)
    assert status == 302 and "error=access_denied" in location and "code=" not in location


def test_a_token_reaches_only_its_own_workspace(emulator: SlackEmulator) -> None:
    one = client(emulator).oauth_v2_access(
        client_id="1.2", client_secret="shh", code=code_for(emulator, "T0ONE", "U0ONE")
    )
    two = client(emulator).oauth_v2_access(
        client_id="1.2", client_secret="shh", code=code_for(emulator, "T0TWO", "U0TWO")
    )
    as_one = client(emulator, one["access_token"])

    assert as_one.chat_postMessage(channel="C0ONE", text="hi")["ok"]
    for channel in ("C0TWO", "U0TWO", "C0HOME"):
        with pytest.raises(SlackApiError, match="channel_not_found"):
            as_one.chat_postMessage(channel=channel, text="hi")
    with pytest.raises(SlackApiError, match="user_not_found"):
        as_one.users_info(user="U0TWO")
    org = client(emulator, two["access_token"]).auth_test()
    assert org["enterprise_id"] == "E0GRID" and org["is_enterprise_install"] is True
    assert two["team"] is None and two["enterprise"]["id"] == "E0GRID"


def test_a_revoked_workspace_token_is_refused(emulator: SlackEmulator) -> None:
    access = client(emulator).oauth_v2_access(
        client_id="1.2", client_secret="shh", code=code_for(emulator, "T0ONE", "U0ONE")
    )
    emulator.revoke("T0ONE")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client(emulator, access["access_token"]).auth_test()


def test_rotating_tokens_refresh_once(emulator: SlackEmulator) -> None:
    emulator.enable_oauth(client_id="1.2", client_secret="shh", redirect_uris=[REDIRECT], token_rotation=True)
    first = client(emulator).oauth_v2_access(
        client_id="1.2", client_secret="shh", code=code_for(emulator, "T0ONE", "U0ONE")
    )
    assert first["access_token"].startswith("xoxe.xoxb-") and first["expires_in"] == 43200

    refreshed = client(emulator).oauth_v2_access(
        client_id="1.2", client_secret="shh", grant_type="refresh_token", refresh_token=first["refresh_token"]
    )

    assert emulator.tokens_of("T0ONE") == [refreshed["access_token"]]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):
        client(emulator).oauth_v2_access(
            client_id="1.2",
            client_secret="shh",
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )
