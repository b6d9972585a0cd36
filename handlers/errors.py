"""The one place unexpected listener failures are logged, with what Slack sent."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse


def log_failure(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    logger.exception(
        "listener failed: type=%s user=%s: %s",
        body.get("type") or body.get("command"),
        (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id"),
        error,
    )
    return BoltResponse(status=500, body="")


def register(app: App) -> None:
    app.error(log_failure)
