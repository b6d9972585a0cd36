"""The **I'm away** button (App Home, check-in messages) and the form it opens: until when, and why."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ButtonElement

from bot.slack.modals import FormError, field_value, modal, text_input

AWAY_BUTTON = "away_open"
AWAY_FORM = "away_form"


def away_button() -> ButtonElement:
    return ButtonElement(text="I'm away", action_id=AWAY_BUTTON, value="away")


def away_form(*, origin: str | None) -> dict[str, Any]:
    return modal(
        callback_id=AWAY_FORM,
        title="I'm away",
        submit="Save",
        private_metadata=json.dumps({"origin": origin}),
        blocks=[
            text_input(
                "until", "Away until (and including)", max_length=40, hint="2026-12-15, dec 15, next friday"
            ),
            text_input("reason", "Reason (optional)", max_length=200, optional=True),
        ],
    )


def read_away_form(view: dict[str, Any]) -> tuple[str, str | None, str | None]:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    until = (field_value(values, "until") or "").strip()
    if not until:
        raise FormError("until", "Give the last day you are away.")
    reason = (field_value(values, "reason") or "").strip() or None
    return until, reason, meta.get("origin")
