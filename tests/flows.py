"""Steps people take, over signed HTTP, shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, CSM, SHARED_CHANNEL, RunningApp

ADD_ACME = "account add Acme channel:<#C0SHARED|acme-shared> escalations:<#C0ESCAL|acme-escalations> champion:<@U0CHAMP|jo>"


def run(web: RunningApp, emulator: SlackEmulator, text: str, *, user_id: str = CSM) -> str:
    """The answer the person sees: refused inside the ack, or posted to the response URL after it."""
    before = len(emulator.calls_to("response_url"))
    result = web.slack.command(text, user_id=user_id)
    assert result.status == 200
    if result.body:
        body = result.json()
        assert body["response_type"] == "ephemeral"
        return str(body["text"])
    call = emulator.wait_for("response_url", count=before + 1)[before]
    assert call.params["response_type"] == "ephemeral"
    return str(call.params["text"])


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def latest_plan(emulator: SlackEmulator) -> tuple[Call, str]:
    posts = emulator.calls_to("chat.postMessage")
    plan = [c for c in posts if c.params["channel"] == SHARED_CHANNEL and "thread_ts" not in c.params][-1]
    ts = emulator.messages(SHARED_CHANNEL)[-1]["ts"] if emulator.messages(SHARED_CHANNEL) else ""
    return plan, ts


def click_plan(
    web: RunningApp, emulator: SlackEmulator, *, action_id: str = "agreement_agree", user_id: str = CHAMPION
) -> None:
    plan, ts = latest_plan(emulator)
    value = buttons(plan.params["blocks"])[action_id]
    web.slack.click(
        action_id=action_id, value=value, user_id=user_id, channel_id=SHARED_CHANNEL, message_ts=ts
    )


def agree_to_plan(web: RunningApp, emulator: SlackEmulator, account: str = "Acme") -> None:
    reply = run(web, emulator, f"agreement {account}")
    assert reply.startswith("Posted version"), reply
    updates = len(emulator.calls_to("chat.update"))
    click_plan(web, emulator)
    emulator.wait_for("chat.update", count=updates + 1)
