"""Middleware that runs before every listener."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.checkins.message import click_of
from bot.checkins.note_form import NOTE_FORM
from bot.slack.deliveries import first_delivery
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


def skip_replayed_requests(
    request: BoltRequest, next: Callable[[], BoltResponse], logger: logging.Logger, *, deps: Deps
) -> BoltResponse:
    """A command, click or form sent again with its signature (anyone who saw one request can
    replay it for five minutes) is acknowledged and not executed twice. Slack never sends one
    interaction twice, so the signed timestamp and body identify it."""
    if request.body.get("type") in ("event_callback", "url_verification"):
        return next()
    timestamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    digest = hashlib.sha256(f"{timestamp}:{request.raw_body}".encode()).hexdigest()
    key = f"req:{digest[:60]}"
    if marks_itself(request.body):
        # Its listener writes this mark in the same transaction as the answer: one commit in the ack.
        request.context[REPLAY_KEY] = key
        return next()
    try:
        first = first_delivery(deps.sessions, event_id=key, team_id=None, now=deps.clock())
    except SQLAlchemyError:
        # Nothing can be written now anyway: the listener tells the person their answer wasn't recorded.
        logger.exception("could not check for a replayed request")
        return next()
    if not first:
        logger.warning("a signed request was replayed; acknowledged and ignored")
        return BoltResponse(status=200, body="")
    return next()


# Where a listener finds the request's replay mark when it writes the mark itself (`marks_itself`).
REPLAY_KEY = "replay_key"


def marks_itself(body: dict[str, Any]) -> bool:
    """The requests whose listener writes the replay mark with its answer: a check-in button that is
    the answer itself (Done, Snooze…; not one that opens the note form) and the note form."""
    if body.get("type") == "block_actions":
        actions = body.get("actions") or []
        if len(actions) != 1:
            return False
        click = click_of(str(actions[0].get("action_id") or ""), str(actions[0].get("value") or ""))
        return click is not None and not click.needs_note
    if body.get("type") == "view_submission":
        return (body.get("view") or {}).get("callback_id") == NOTE_FORM
    return False


def register(app: App, deps: Deps) -> None:
    app.use(bind(skip_redelivered_events, deps))
    app.use(bind(skip_replayed_requests, deps))
