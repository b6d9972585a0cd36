"""OAuth mode's Bolt glue: the install flow's pages, the installation each request acts for, and
Slack's uninstall events. The work itself is in bot/installs/."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.installs import lifecycle, standing
from bot.installs.owners import conversation_owner
from bot.installs.pages import failed_page, install_page, installed_page, manifest_scopes
from bot.settings import Settings
from handlers.deps import Deps, bind
from models import Tenant
from models.tenancy import enter


def html_headers() -> dict[str, str | Sequence[str]]:
    return {"Content-Type": "text/html; charset=utf-8"}


# What each of Bolt's failure reasons means to the person installing.
FAILURES = {
    "access_denied": "The installation was cancelled in Slack; nothing was installed.",
    "invalid_browser": (
        "This installation was finished in a different browser from the one it started in, or its cookie "
        "expired. Start again from the install page in one browser."
    ),
    "invalid_state": (
        "This installation link has expired or was already used. Start again from the install page."
    ),
    "missing_code": "Slack did not send back an authorization code. Start again from the install page.",
    "invalid_code": "Slack did not accept the authorization code. Start again from the install page.",
    "storage_error": "The installation could not be saved. Please try again in a few minutes.",
}


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow with the product's own install page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page(url)


def tenant_of(context: BoltContext) -> Tenant | None:
    """The installation Bolt authorized the request for. The payload's own team is read only when Bolt
    authorized nothing: in OAuth mode every command, click and event from people is authorized (a Slack
    Connect customer's click is placed in the vendor's installation by `act_in_conversation_owner`,
    never in the customer's team), so that leaves Slack's signed `app_uninstalled` / `tokens_revoked`,
    sent after the tokens stop working."""
    result = context.authorize_result
    team_id = (result.team_id if result else None) or context.team_id
    enterprise_id = (result.enterprise_id if result else None) or context.enterprise_id
    if not team_id and not enterprise_id:
        return None
    return Tenant(
        team_id=team_id,
        enterprise_id=enterprise_id,
        is_enterprise_install=bool(context.is_enterprise_install),
    )


# Payloads sent because a person did something; Events API payloads name their installation in
# `authorizations`, which Bolt reads, and are left alone.
INTERACTIVE = frozenset(
    {"block_actions", "block_suggestion", "view_submission", "view_closed", "shortcut", "message_action"}
)


def act_in_conversation_owner(
    body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse], *, deps: Deps
) -> BoltResponse:
    """Runs before Bolt's authorization: a Slack Connect customer's click carries their own organisation's
    team ID, so the installation is the one owning the conversation it happened in (bot/installs/owners.py).
    Forms opened from the vendor's workspace carry `view.app_installed_team_id`, which Bolt already
    reads; a conversation no single installation owns leaves the payload's team to decide."""
    view = body.get("view")
    if body.get("type") in INTERACTIVE and not (isinstance(view, dict) and view.get("app_installed_team_id")):
        owner = conversation_owner(deps.sessions, channel_id=context.channel_id, user_id=context.user_id)
        if owner is not None and (owner.team_id, owner.enterprise_id) != (
            context.team_id,
            context.enterprise_id,
        ):
            context["team_id"] = owner.team_id
            context["enterprise_id"] = owner.enterprise_id
            context["is_enterprise_install"] = owner.is_enterprise_install
    return next()


def oauth_flow(settings: Settings, deps: Deps, store: Any, states: Any) -> InstallFlow:
    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        tenant = Tenant(
            team_id=installation.team_id,
            enterprise_id=installation.enterprise_id,
            is_enterprise_install=bool(installation.is_enterprise_install),
        )
        lifecycle.installed(deps.sessions, tenant, team_name=installation.team_name, now=deps.clock())
        return BoltResponse(status=200, body=installed_page(installation.team_name), headers=html_headers())

    def failure(args: FailureArgs) -> BoltResponse:
        reason = FAILURES.get(args.reason, f"The installation failed ({args.reason}).")
        return BoltResponse(
            status=args.suggested_status_code, body=failed_page(reason), headers=html_headers()
        )

    return InstallFlow(
        settings=OAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=[scope.name for scope in manifest_scopes()],
            redirect_uri=settings.redirect_uri,
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            authorization_url=settings.authorization_url,
            installation_store=store,
            installation_store_bot_only=True,
            token_rotation_expiration_minutes=settings.token_rotation_expiration_minutes,
            state_store=states,
            callback_options=CallbackOptions(success=success, failure=failure),
        )
    )


def act_for_installation(
    context: BoltContext,
    body: dict[str, Any],
    next: Callable[[], BoltResponse],
    logger: logging.Logger,
    *,
    deps: Deps,
) -> BoltResponse:
    """Every listener after this runs scoped to its installation (see models.tenancy); a stopped
    (uninstalled) workspace's requests are acknowledged and nothing more."""
    tenant = tenant_of(context)
    if tenant is None:
        return next()
    event_type = (body.get("event") or {}).get("type") if isinstance(body.get("event"), dict) else None
    if event_type not in ("app_uninstalled", "tokens_revoked") and standing.is_stopped(deps.sessions, tenant):
        logger.info("a request for %s, which uninstalled the app: acknowledged, not acted on", tenant)
        return BoltResponse(status=200, body="")
    # Bolt's `next()` only marks the middleware passed: the listeners run after this returns, so the
    # scope is entered for the rest of the request (its context is the request's own, see app.WebApp),
    # not for a `with` block that would end before any listener ran.
    enter(tenant)
    return next()


def on_app_uninstalled(context: BoltContext, *, deps: Deps) -> None:
    tenant = tenant_of(context)
    if tenant is not None and deps.store is not None:
        lifecycle.uninstalled(deps.sessions, deps.store, tenant, reason="app_uninstalled", now=deps.clock())


def on_tokens_revoked(event: dict[str, Any], context: BoltContext, *, deps: Deps) -> None:
    tenant = tenant_of(context)
    if tenant is not None and deps.store is not None and lifecycle.bot_tokens_revoked(event):
        lifecycle.uninstalled(deps.sessions, deps.store, tenant, reason="tokens_revoked", now=deps.clock())


def register_middleware(app: App, deps: Deps) -> None:
    """First of all middleware, so deliveries and replays are recorded for the right installation."""
    if deps.store is not None:
        app.use(bind(act_for_installation, deps))


def register(app: App, deps: Deps) -> None:
    if deps.store is not None:
        app.event("app_uninstalled")(bind(on_app_uninstalled, deps))
        app.event("tokens_revoked")(bind(on_tokens_revoked, deps))
