"""Text people type is shown, never executed: every markup token through every way in, checked
everywhere the text comes out.

The tokens go in the way Slack delivers them: in a command or a DM, text typed literally arrives
escaped (`&lt;!here&gt;`) while `@here` typed arrives as live markup (`<!here>`); in a modal the
input's value is raw. Whatever the route, every message, update, modal, Home tab and reply the app
sent must carry the escaped text and no broadcast, foreign mention or disguised link — and the
exports must carry the raw text back.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.commands import importer
from bot.escalation.posting import publish
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Answer, CheckIn, Commitment, DiaryEntry, Side
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, CSM, ENGINEER, VENDOR_TEAM, Clock, RunningApp
from tests.factories import open_escalation
from tests.faults import FaultResult, record
from tests.flows import agree_to_plan, buttons

TOKENS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0EVIL>",
    "<#C0EVIL>",
    "<https://evil.example|click here>",
)
PAYLOAD = " ".join(TOKENS) + " R&D"
# Typed literally into a command or a DM, Slack escapes it; "@here" typed becomes `<!here>`.
AS_SLACK_ESCAPES = escape(PAYLOAD)
AS_SLACK_MENTIONS = PAYLOAD
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def strings(value: Any) -> list[str]:
    """Every string Slack would read as markup inside a call's parameters (text, blocks, views, file
    contents); `plain_text` objects are shown literally by Slack, so they are left out."""
    if isinstance(value, dict) and value.get("type") == "plain_text":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes):
        return [value.decode("utf-8", errors="replace")]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings(item)]
    return []


def live_tokens(calls: list[Call]) -> list[tuple[str, str]]:
    """(method, token) for every token that reached Slack as live markup."""
    found = []
    for call in calls:
        for text in strings(call.params):
            found += [(call.method, token) for token in TOKENS if token in text]
    return found


def shown(calls: list[Call]) -> str:
    return "\n".join(s for call in calls for s in strings(call.params))


def command(web: RunningApp, emulator: SlackEmulator, text: str, *, user_id: str = CSM) -> str:
    """The reply to a command (a digest draws its chart first, which takes a while the first time)."""
    before = len(emulator.calls_to("response_url"))
    result = web.slack.command(text, user_id=user_id)
    assert result.status == 200 and not result.body, (text, result.body)
    reply = str(emulator.wait_for("response_url", count=before + 1, timeout=30)[before].params["text"])
    assert "can't" not in reply.lower() and "only" not in reply.lower(), (text, reply)
    return reply


@pytest.fixture
def journey(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> dict[str, list[Call]]:
    """The payload through every way in; returns, per way in, the calls that showed it."""
    emulator.add_channel("C0DIGEST", name="cs-managers", members=[CSM, ENGINEER])
    seen: dict[str, list[Call]] = {}

    def since(mark: int) -> list[Call]:
        return emulator.calls[mark:]

    mark = len(emulator.calls)
    command(
        web,
        emulator,
        "account add Acme channel:<#C0SHARED|acme-shared> escalations:<#C0ESCAL|acme-escalations> "
        f'champion:<@U0CHAMP|jo> digest:<#C0DIGEST|cs-managers> outcome:"Live {AS_SLACK_ESCAPES}"',
    )
    command(
        web, emulator, f'commit Acme customer <@U0CHAMP|jo> "Ship {AS_SLACK_MENTIONS}" every monday at 10:00'
    )
    command(web, emulator, f'commit Acme vendor <@U0ENG|eng> "Fix {AS_SLACK_ESCAPES}" by dec 18')
    command(web, emulator, f'commit Acme vendor <@U0ENG|eng> "Drop {AS_SLACK_ESCAPES}" by dec 18')
    seen["command text (outcome, actions): replies"] = since(mark)
    mark = len(emulator.calls)
    agree_to_plan(web, emulator)
    seen["plan post"] = since(mark)

    mark = len(emulator.calls)
    run_due_work(sessions, gateway, now=MONDAY_10)
    dm = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION][-1]
    seen["check-in DM"] = since(mark)

    clock.now = MONDAY_10.replace(minute=5)
    mark = len(emulator.calls)
    posts, updates = len(emulator.calls_to("chat.postMessage")), len(emulator.calls_to("chat.update"))
    web.slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": emulator.dm_channel(CHAMPION),
            "user": CHAMPION,
            "text": f"Typed {AS_SLACK_ESCAPES}",
            "ts": "1764500000.000100",
        }
    )
    emulator.wait_for("chat.postMessage", count=posts + 1)
    ts = emulator.messages(emulator.dm_channel(CHAMPION))[0]["ts"]
    opened = len(emulator.calls_to("views.open"))
    web.slack.click(
        action_id="checkin_answer_blocked",
        value=buttons(dm.params["blocks"])["checkin_answer_blocked"],
        user_id=CHAMPION,
        channel_id=emulator.dm_channel(CHAMPION),
        message_ts=ts,
    )
    form = emulator.wait_for("views.open", count=opened + 1)[-1].params["view"]
    web.slack.submit_view(
        callback_id=form["callback_id"],
        values={"note": {"type": "plain_text_input", "value": f"Blocked by {PAYLOAD}"}},
        user_id=CHAMPION,
        private_metadata=form["private_metadata"],
    )
    emulator.wait_for("chat.update", count=updates + 1)
    seen["typed DM note and note form: the check-in redrawn"] = since(mark)

    mark = len(emulator.calls)
    with sessions() as session:
        customer = session.scalars(select(Commitment).where(Commitment.side == Side.CUSTOMER)).one()
    escalation_id = open_escalation(
        sessions, account_id=customer.account_id, opened_at=MONDAY_10, commitment_id=customer.id
    )
    publish(sessions, gateway, escalation_id, now=MONDAY_10)
    seen["escalation post (owner's action, last note)"] = since(mark)

    mark = len(emulator.calls)
    command(web, emulator, "digest Acme")
    seen["digest"] = since(mark)

    mark = len(emulator.calls)
    post = emulator.calls_to("chat.postMessage")[-1]
    for call in reversed(emulator.calls_to("chat.postMessage")):
        if call.params["channel"] == "C0ESCAL":
            post = call
            break
    opened = len(emulator.calls_to("views.open"))
    web.slack.click(
        action_id="escalation_resolve",
        value=buttons(post.params["blocks"])["escalation_resolve"],
        user_id=CSM,
        channel_id="C0ESCAL",
        message_ts=emulator.messages("C0ESCAL")[0]["ts"],
    )
    form = emulator.wait_for("views.open", count=opened + 1)[-1].params["view"]
    web.slack.submit_view(
        callback_id=form["callback_id"],
        values={"note": {"type": "plain_text_input", "value": f"Resolved: {PAYLOAD}"}},
        user_id=CSM,
        private_metadata=form["private_metadata"],
    )
    emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == "C0ESCAL")
    seen["resolve form: the escalation post"] = since(mark)

    mark = len(emulator.calls)
    opened = len(emulator.calls_to("views.open"))
    assert web.slack.command("autopsy Acme", user_id=CSM).status == 200
    form = emulator.wait_for("views.open", count=opened + 1)[-1].params["view"]
    web.slack.submit_view(
        callback_id=form["callback_id"],
        values={
            "vendor_causes": {"type": "checkboxes", "selected_options": []},
            "customer_causes": {"type": "checkboxes", "selected_options": []},
            "other": {"type": "plain_text_input", "value": f"Cause {PAYLOAD}"},
            "other_side": {"type": "static_select", "selected_option": {"value": "customer"}},
            "fix_action": {"type": "plain_text_input", "value": None},
            "fix_side": {"type": "static_select", "selected_option": None},
            "fix_owner": {"type": "users_select", "selected_user": None},
            "fix_schedule": {"type": "plain_text_input", "value": None},
        },
        user_id=CSM,
        private_metadata=form["private_metadata"],
    )
    emulator.wait_for("chat.postMessage", where=lambda c: "Autopsy recorded" in c.params["text"])
    with sessions() as session:
        fix, drop = sorted(session.scalars(select(Commitment.id).where(Commitment.side == Side.VENDOR)))
        first_entry = session.scalars(select(DiaryEntry.id).order_by(DiaryEntry.id)).first()
    command(web, emulator, f'done #{fix} "Shipped {AS_SLACK_ESCAPES}"')
    command(web, emulator, f'cancel #{drop} "Dropped {AS_SLACK_ESCAPES}"')
    command(web, emulator, f'correct #{first_entry} "Typo {AS_SLACK_ESCAPES}"')
    seen["autopsy form, done note, cancel reason, correction: replies"] = since(mark)

    mark = len(emulator.calls)
    plan = importer.read(
        "account,channel,escalations,champion,csm,outcome,side,owner,action,schedule\n"
        f'Beta,C0SHARED,C0ESCAL,U0OTHER,{CSM},"Beta {PAYLOAD}",vendor,{ENGINEER},'
        f'"Import {PAYLOAD}",every friday\n',
        today=MONDAY_10.date(),
        existing=set(),
    )
    assert plan.problems == []
    importer.apply(plan, sessions=sessions, gateway=gateway, team_id=VENDOR_TEAM, now=MONDAY_10)
    command(web, emulator, "list Beta")
    seen["CSV import: listing"] = since(mark)

    mark = len(emulator.calls)
    run_due_work(sessions, gateway, now=MONDAY_10.replace(minute=30))
    seen["shared diary thread"] = since(mark)

    mark = len(emulator.calls)
    command(web, emulator, "list Acme")
    command(web, emulator, "diary Acme")
    command(web, emulator, "diary Acme", user_id=CHAMPION)
    for user_id in (CSM, CHAMPION):
        before = len(emulator.calls_to("views.publish"))
        web.slack.event({"type": "app_home_opened", "user": user_id, "channel": "D0X", "tab": "home"})
        emulator.wait_for("views.publish", count=before + 1)
    seen["listing, diary pages, Home"] = since(mark)

    mark = len(emulator.calls)
    command(web, emulator, "export Acme")
    seen["export"] = since(mark)
    return seen


def expected(way: str) -> tuple[str, ...]:
    """The tokens each way should show; the digest lists an escalation's action cut to 60 characters."""
    if way == "digest":
        return tuple(t for t in TOKENS if f"Ship {PAYLOAD}"[:59].find(t) != -1)
    return TOKENS


@pytest.mark.reliability
def test_markup_people_type_reaches_every_surface_escaped_and_never_live(
    journey: dict[str, list[Call]], emulator: SlackEmulator
) -> None:
    everything = [call for calls in journey.values() for call in calls]
    exported = [c for c in everything if c.method == "files.upload"]
    shown_live = live_tokens([c for c in emulator.calls if c.method != "files.upload"])
    for token in TOKENS:
        reached = [way for way, calls in journey.items() if escape(token) in shown(calls)]
        record(
            FaultResult(
                fault=f"`{token}` typed into a command, a DM, a modal or a CSV import",
                tried=len(journey) - 1,
                outcome={
                    "shown escaped": len(reached),
                    "shown live": len({method for method, t in shown_live if t == token}),
                },
                notes="ways in: " + "; ".join(journey),
            ),
            area="Injection",
        )
    assert shown_live == []
    missing = {
        way: [t for t in expected(way) if escape(t) not in shown(calls)] for way, calls in journey.items()
    }
    missing = {way: tokens for way, tokens in missing.items() if tokens and way != "export"}
    assert missing == {}, f"the escaped text did not reach: {missing}"
    assert exported, "the export was not uploaded"


def test_exports_carry_the_raw_text_back(
    journey: dict[str, list[Call]], emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    [shared] = [f for f in emulator.uploaded_files() if f.get("filename") == "acme-diary.csv"]
    content = shared.get("content") or b""
    text = content.decode() if isinstance(content, bytes) else str(content)
    rows = list(csv.DictReader(io.StringIO(text)))
    notes = [row["text"] for row in rows if row["kind"] in ("note", "answer_blocked")]
    assert any(f"Blocked by {PAYLOAD}" in note for note in notes), notes
    assert any(f"Typed {PAYLOAD}" in note for note in notes), notes
    with sessions() as session:
        checkin = session.scalars(select(CheckIn).where(CheckIn.answer == Answer.BLOCKED)).one()
        assert checkin.note is not None and f"Blocked by {PAYLOAD}" in checkin.note
        account = session.scalars(select(Account).where(Account.name == "Acme")).one()
        assert account.desired_outcome == f"Live {PAYLOAD}"
        assert json.dumps(account.desired_outcome)  # stored raw, no entities


def test_characters_the_database_refuses_are_stripped_and_nothing_is_lost(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    """NUL is refused by PostgreSQL's text type, lone surrogates by UTF-8: each way in drops them and
    records the rest, where before the answer or note was silently lost."""
    command(
        web,
        emulator,
        "account add Acme channel:<#C0SHARED|acme-shared> escalations:<#C0ESCAL|acme-escalations> "
        "champion:<@U0CHAMP|jo>",
    )
    reply = command(web, emulator, 'commit Acme customer <@U0CHAMP|jo> "Ship\x00 it" every monday at 10:00')
    assert "“Ship it”" in reply
    agree_to_plan(web, emulator)
    run_due_work(sessions, gateway, now=MONDAY_10)
    clock.now = MONDAY_10.replace(minute=5)
    dm = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION][-1]
    posts, opened = len(emulator.calls_to("chat.postMessage")), len(emulator.calls_to("views.open"))
    web.slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": emulator.dm_channel(CHAMPION),
            "user": CHAMPION,
            "text": "Typed\x00 note\ud800",
            "ts": "1764500000.000100",
        }
    )
    emulator.wait_for("chat.postMessage", count=posts + 1)
    web.slack.click(
        action_id="checkin_answer_blocked",
        value=buttons(dm.params["blocks"])["checkin_answer_blocked"],
        user_id=CHAMPION,
        channel_id=emulator.dm_channel(CHAMPION),
        message_ts=emulator.messages(emulator.dm_channel(CHAMPION))[0]["ts"],
    )
    form = emulator.wait_for("views.open", count=opened + 1)[-1].params["view"]
    updates = len(emulator.calls_to("chat.update"))
    result = web.slack.submit_view(
        callback_id=form["callback_id"],
        values={"note": {"type": "plain_text_input", "value": "Waiting\x00 on IT"}},
        user_id=CHAMPION,
        private_metadata=form["private_metadata"],
    )
    assert result.status == 200
    emulator.wait_for("chat.update", count=updates + 1)
    with sessions() as session:
        checkin = session.scalars(select(CheckIn)).one()
        assert (checkin.answer, checkin.note) == (Answer.BLOCKED, "Typed note\nWaiting on IT")
        assert session.scalars(select(Commitment.action)).one() == "Ship it"
