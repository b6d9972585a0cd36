"""Slack's OAuth v2 install flow, as strict as Slack: the authorize page hands out a one-use code bound to
the client and redirect URI, and `oauth.v2.access` refuses any code it did not issue, a used one, wrong
client credentials, or a redirect URI other than the one the code was issued for.

The person on Slack's authorize page is simulated: `SlackEmulator.install_as(team, user)` says who
clicks "Allow" next.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .methods import SlackError
from .state import EmulatorState, Grant


def authorize(state: EmulatorState, query: str) -> tuple[int, str]:
    """GET /oauth/v2/authorize: (302, redirect location) once someone allowed the install, or
    (400, the problem) for a request Slack would show an error page for."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if state.oauth_client is None or params.get("client_id") != state.oauth_client[0]:
        return 400, "Invalid client_id parameter"
    redirect_uri = params.get("redirect_uri") or None
    if redirect_uri is not None and redirect_uri not in state.redirect_uris:
        return 400, "redirect_uri did not match any configured URIs"
    target = redirect_uri or (state.redirect_uris[0] if state.redirect_uris else None)
    if target is None:
        return 400, "No redirect_uri is configured for this app"
    if not params.get("scope") and not params.get("user_scope"):
        return 400, "Invalid permissions requested: no scope"
    separator = "&" if "?" in target else "?"
    if state.installing is None:
        # Nobody clicked "Allow": Slack sends the person back with access_denied.
        return 302, target + separator + urlencode(
            {"error": "access_denied", "state": params.get("state", "")}
        )
    team_id, user_id = state.installing
    state.installing = None
    code = f"{state.next_number()}.{secrets.token_hex(12)}"
    state.grants[code] = Grant(
        team_id=team_id,
        user_id=user_id,
        client_id=params["client_id"],
        scopes=params.get("scope", ""),
        user_scopes=params.get("user_scope", ""),
        redirect_uri=redirect_uri,
    )
    return 302, target + separator + urlencode({"code": code, "state": params.get("state", "")})


def _client_credentials(params: dict[str, Any], authorization: str) -> tuple[str | None, str | None]:
    """Basic auth (as slack_sdk sends it) or client_id/client_secret form fields."""
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except ValueError:
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return params.get("client_id"), params.get("client_secret")


def oauth_v2_access(state: EmulatorState, params: dict[str, Any], authorization: str) -> dict[str, Any]:
    client_id, secret = _client_credentials(params, authorization)
    if state.oauth_client is None or client_id != state.oauth_client[0]:
        raise SlackError("invalid_client_id")
    if secret != state.oauth_client[1]:
        raise SlackError("bad_client_secret")
    if params.get("grant_type") == "refresh_token":
        return _refresh(state, str(params.get("refresh_token") or ""))
    grant = state.grants.get(str(params.get("code") or ""))
    if grant is None or grant.used or grant.client_id != client_id:
        raise SlackError("invalid_code")
    if grant.redirect_uri is not None and params.get("redirect_uri") != grant.redirect_uri:
        raise SlackError("bad_redirect_uri")
    grant.used = True
    workspace = state.workspaces[grant.team_id]
    workspace.scopes = frozenset(s for s in grant.scopes.split(",") if s)
    return _token_reply(state, grant.team_id, scope=grant.scopes, installer=grant.user_id)


def _refresh(state: EmulatorState, refresh_token: str) -> dict[str, Any]:
    team_id = state.refresh_tokens.pop(refresh_token, None)
    if team_id is None:
        raise SlackError("invalid_refresh_token")
    for token, owner in list(state.tokens.items()):
        if owner == team_id:
            del state.tokens[token]
    workspace = state.workspaces[team_id]
    return _token_reply(state, team_id, scope=",".join(sorted(workspace.scopes or ())), installer=None)


def _token_reply(state: EmulatorState, team_id: str, *, scope: str, installer: str | None) -> dict[str, Any]:
    workspace = state.workspaces[team_id]
    prefix = "xoxe.xoxb" if state.token_rotation else "xoxb"
    token = f"{prefix}-{team_id}-{state.next_number()}-{secrets.token_hex(8)}"
    state.tokens[token] = team_id
    reply: dict[str, Any] = {
        "access_token": token,
        "token_type": "bot",
        "scope": scope,
        "bot_user_id": workspace.bot_user_id,
        "app_id": "A0ACCOUNTABILITY",
        "team": None if workspace.org_wide else {"id": workspace.team_id, "name": workspace.name},
        "enterprise": {"id": workspace.enterprise_id, "name": f"{workspace.name} Grid"}
        if workspace.enterprise_id
        else None,
        "is_enterprise_install": workspace.org_wide,
    }
    if installer is not None:
        reply["authed_user"] = {"id": installer}
    if state.token_rotation:
        refresh = f"xoxe-1-{team_id}-{secrets.token_hex(8)}"
        state.refresh_tokens[refresh] = team_id
        reply.update(refresh_token=refresh, expires_in=43200)
    return reply
