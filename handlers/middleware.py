"""Middleware that runs before every listener."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deliveries import first_delivery
from handlers.deps import Deps, bind


def skip_redelivered_events(
    body: dict[str, Any], next: Callable[[], BoltResponse], logger: logging.Logger, *, deps: Deps
) -> BoltResponse:
    """Slack redelivers an event it thinks we missed; the second copy is acknowledged and dropped."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not first_delivery(
        deps.sessions, event_id=event_id, team_id=body.get("team_id"), now=deps.clock()
    ):
        logger.info("event %s already handled; acknowledging the redelivery", event_id)
        return BoltResponse(status=200, body="")
    return next()


def register(app: App, deps: Deps) -> None:
    app.use(bind(skip_redelivered_events, deps))
