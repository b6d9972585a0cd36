"""manifest.yml asks for exactly the scopes the code's Web API calls need, and routes everything to
`/slack/events`; a new Slack call without its scope fails here, not in a customer's workspace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

# Every Web API method the product calls, and the bot scopes it needs (a conversation method needs
# the scope of each kind of conversation the product calls it on: public and private channels).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.getPermalink": (),  # Slack's reference: "Requires scope: none"
    "conversations.open": ("im:write",),
    # Read on the bot's own DMs and on shared channels (public or private), to reconcile a check-in
    # whose sending a crash or a 5xx interrupted.
    "conversations.history": ("im:history", "channels:history", "groups:history"),
    # A reminder's thread in a shared channel, read to settle a reminder whose answer was lost.
    "conversations.replies": ("channels:history", "groups:history"),
    # Whether the bot is in an account's shared or escalation channel, and who else is.
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.members": ("channels:read", "groups:read"),
    "users.info": ("users:read",),
    "views.open": (),
    "views.publish": (),
    "views.update": (),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}
# slack_sdk client methods used directly, and the Web API methods they call.
CLIENT_METHODS = {
    "views_open": ["views.open"],
    "views_publish": ["views.publish"],
    "users_info": ["users.info"],
    "files_upload_v2": ["files.getUploadURLExternal", "files.completeUploadExternal"],
}
# Events the app subscribes to, and the scope each needs.
# (Slack's Events API spec lists what each needs: `x-scopes-required`, any of them for the event.)
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "message.im": ("im:history",),
    "message.channels": ("channels:history",),
    "message.groups": ("groups:history",),
    "app_mention": ("app_mentions:read",),
    # the champion leaving the shared channel, public or private
    "member_left_channel": ("channels:read", "groups:read"),
    # someone deactivated (`deleted` in the user object)
    "user_change": ("users:read",),
    # a workspace uninstalling the app or revoking its token: its sends stop (no scope needed)
    "app_uninstalled": (),
    "tokens_revoked": (),
}


def source(repo_root: Path) -> str:
    files = [
        repo_root / "app.py",
        *(repo_root / "bot").rglob("*.py"),
        *(repo_root / "handlers").rglob("*.py"),
    ]
    return "\n".join(path.read_text() for path in files)


def called_methods(code: str) -> set[str]:
    methods = set(re.findall(r'_call\(\s*"([a-z]+\.[A-Za-z]+)"', code))
    for name, api_methods in CLIENT_METHODS.items():
        if re.search(rf"\.{name}\(", code):
            methods.update(api_methods)
    return methods | {"auth.test"}  # Bolt asks it on the first request (the bot's identity)


def manifest(repo_root: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((repo_root / "manifest.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_every_called_method_is_known_and_covered_by_a_manifest_scope(repo_root: Path) -> None:
    methods = called_methods(source(repo_root))
    assert {"chat.postMessage", "users.info", "views.open", "files.completeUploadExternal"} <= methods
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"add these Web API methods and their scopes to METHOD_SCOPES: {unknown}"
    scopes = set(manifest(repo_root)["oauth_config"]["scopes"]["bot"])
    missing = {m: METHOD_SCOPES[m] for m in methods if not set(METHOD_SCOPES[m]) <= scopes}
    assert not missing, f"manifest.yml lacks scopes for: {missing}"


def test_manifest_asks_for_no_scope_the_code_does_not_use(repo_root: Path) -> None:
    data = manifest(repo_root)
    needed: set[str] = {"commands"}
    needed |= {scope for m in called_methods(source(repo_root)) for scope in METHOD_SCOPES[m]}
    needed |= {
        scope for e in data["settings"]["event_subscriptions"]["bot_events"] for scope in EVENT_SCOPES[e]
    }
    assert set(data["oauth_config"]["scopes"]["bot"]) == needed


def test_listened_events_are_subscribed(repo_root: Path) -> None:
    code = source(repo_root)
    events = set(manifest(repo_root)["settings"]["event_subscriptions"]["bot_events"])
    listened = set(re.findall(r'app\.event\("([a-z_.]+)"[,)]', code))
    # Bolt's "message" listener gets DMs through message.im and channel messages through
    # message.channels (public) and message.groups (private shared channels).
    assert listened == {
        "app_home_opened",
        "message",
        "app_mention",
        "member_left_channel",
        "user_change",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert events == {
        "app_home_opened",
        "message.im",
        "message.channels",
        "message.groups",
        "app_mention",
        "member_left_channel",
        "user_change",
        "app_uninstalled",
        "tokens_revoked",
    }


def test_everything_goes_to_slack_events_and_the_command_is_escaped(repo_root: Path) -> None:
    data = manifest(repo_root)
    [command] = data["features"]["slash_commands"]
    assert command["command"] == "/accountability" and command["should_escape"] is True
    urls = [
        command["url"],
        data["settings"]["event_subscriptions"]["request_url"],
        data["settings"]["interactivity"]["request_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True
