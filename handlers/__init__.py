"""Bolt listeners, one package per Slack surface; each only acks, parses, calls `bot/` and renders."""

from __future__ import annotations

from slack_bolt import App

from handlers import actions, commands, errors, events, installs, middleware, views
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    installs.register_middleware(app, deps)
    middleware.register(app, deps)
    installs.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    events.register(app, deps)
    views.register(app, deps)
    errors.register(app)
