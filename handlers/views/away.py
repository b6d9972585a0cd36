"""The I'm away form: read against the person's own date, written before Slack is acknowledged."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.accounts.people import identify
from bot.checkins.recurrence import ScheduleError, parse_due_date
from bot.checkins.schedule import zone
from bot.errors import Refusal
from bot.people.away import BUTTON, Away, set_away
from bot.people.away_form import read_away_form
from bot.slack.gateway import SlackGateway
from bot.slack.modals import FormError
from handlers.deps import Deps, installation_of
from handlers.replies import answer_dm


def on_away_form(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    user_id, now = body["user"]["id"], deps.clock()
    gateway = SlackGateway(client)
    try:
        phrase, reason, _origin = read_away_form(view)
        actor = identify(
            deps.sessions,
            gateway,
            installation=installation_of(context),
            user_id=user_id,
            admins=deps.admins,
            now=now,
        )
        try:
            until = parse_due_date(phrase, today=now.astimezone(zone(actor.tz)).date())
        except ScheduleError as exc:
            raise FormError("until", str(exc)) from exc
        reply = set_away(deps.sessions, gateway, Away(None, until, reason, BUTTON), actor=actor, now=now)
    except FormError as exc:
        ack(response_action="errors", errors={exc.block_id: exc.problem})
        return
    except Refusal as refusal:
        ack(response_action="errors", errors={"until": refusal.message})
        return
    ack()
    answer_dm(gateway, user_id=user_id, text=reply)
