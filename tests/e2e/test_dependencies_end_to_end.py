"""Dependencies: a commitment waiting on another, and blame on the side that actually blocked —
over signed requests, the emulator, the real database and clock passes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import CUSTOMER_REFUSAL
from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import Answer, CheckIn, Commitment, DiaryEntry, Escalation, Side
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, CSM, ENGINEER, ESCALATION_CHANNEL, Clock, RunningApp
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

FIX = 'commit Acme vendor <@U0ENG> "Ship the calendar import fix" by 2026-11-24'
TEST = 'commit Acme customer <@U0CHAMP> "Test the calendar import" every wednesday at 10:00'
# Wednesdays 10:00 London (UTC in winter); the vendor's fix was due by Tue 24 Nov, 18:00 Tokyo.
WED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def commit(web: RunningApp, emulator: SlackEmulator, text: str) -> int:
    """The new commitment's number, from the reply (numbers differ between databases)."""
    reply = run(web, emulator, text)
    match = re.match(r"Recorded #(\d+)", reply)
    assert match, reply
    return int(match.group(1))


def text_of(call: Call) -> str:
    return str(call.params.get("text")) + json.dumps(call.params.get("blocks"), ensure_ascii=False)


def dms_to(emulator: SlackEmulator, user_id: str) -> list[Call]:
    channel = emulator.dm_channel(user_id)
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] in (user_id, channel)]


def escalation_posts(emulator: SlackEmulator) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == ESCALATION_CHANNEL]


def week_unanswered(sessions: sessionmaker[Session], gateway: SlackGateway, week: int) -> None:
    start = WED + timedelta(weeks=week)
    run_due_work(sessions, gateway, now=start)  # the check-in
    run_due_work(sessions, gateway, now=start + timedelta(hours=23))  # Thursday 09:00: the reminder
    run_due_work(sessions, gateway, now=start + timedelta(hours=32))  # Thursday 18:00: no response


def checkins(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)))


def diary_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


@pytest.fixture
def waiting_plan(web: RunningApp, emulator: SlackEmulator, clock: Clock) -> tuple[int, int]:
    """The vendor's fix, due Tue 24 Nov; the customer's weekly test, waiting on it; agreed."""
    run(web, emulator, ADD_ACME + " digest:<#C0CSMDESK|csm-desk>")
    fix = commit(web, emulator, FIX)
    reply = run(web, emulator, f"{TEST} after #{fix}")
    assert f"It waits on #{fix}." in reply
    test = int(reply.split()[1].lstrip("#"))
    agree_to_plan(web, emulator)
    return fix, test


def test_customer_misses_while_the_vendor_fix_is_overdue_count_against_the_vendor(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
    waiting_plan: tuple[int, int],
) -> None:
    fix, test = waiting_plan
    plan = [c for c in emulator.calls_to("chat.postMessage") if "Joint plan" in text_of(c)][-1]
    assert f"#{test} waits on #{fix}" in text_of(plan)

    week_unanswered(sessions, gateway, 0)
    week_unanswered(sessions, gateway, 1)

    # The check-in says what it waits on, and that a miss meanwhile is the vendor's.
    [first, *_] = [c for c in dms_to(emulator, CHAMPION) if "Test the calendar import" in text_of(c)]
    assert f"waiting on #{fix} (vendor: Ship the calendar import fix, overdue since Tue)" in text_of(first)
    assert "counts against the vendor side" in text_of(first)

    rows = [r for r in checkins(sessions) if r.commitment_id == test]
    assert [(r.state.value, r.charged_side) for r in rows] == [("no_response", Side.VENDOR)] * 2

    # No customer-slip escalation (two misses in a row would open one); the vendor's lists what it holds up.
    with sessions() as session:
        kinds = set(session.scalars(select(Escalation.kind)))
    assert kinds == {"vendor_overdue"}
    [overdue] = [p for p in escalation_posts(emulator) if "Vendor commitment overdue" in text_of(p)]
    assert f"Holding up: #{test} “Test the calendar import” (customer, <@U0CHAMP>)" in text_of(overdue)
    assert not [
        c for c in emulator.calls_to("chat.postMessage") if str(c.params["text"]).startswith("No worries")
    ]

    # Kept-rates: both misses are the vendor's.
    clock.now = WED + timedelta(weeks=1, hours=33)
    listing = run(web, emulator, "list Acme")
    assert "customer side no check-ins yet · vendor side kept 0 of 2 (0 %)" in listing
    assert f"Waiting: #{test} waits on #{fix}" in listing

    # The digest counts them against the vendor too, and shows the chain.
    run(web, emulator, "digest Acme")
    [digest] = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == "C0CSMDESK"]
    body = text_of(digest)
    assert "Misses by side: customer 0 % (0) · vendor 100 % (2)" in body
    assert (
        "Waiting on each other" in body
        and f"Acme — #{test} waits on #{fix} (overdue since Tue 24 Nov)" in body
    )


def _blocked_form(web: RunningApp, emulator: SlackEmulator) -> dict[str, Any]:
    [dm] = [c for c in dms_to(emulator, CHAMPION) if "Test the calendar import" in text_of(c)]
    channel = emulator.dm_channel(CHAMPION)
    value = buttons(dm.params["blocks"])["checkin_answer_blocked"]
    ts = emulator.messages(channel)[-1]["ts"]
    opened = len(emulator.calls_to("views.open"))
    web.slack.click(
        action_id="checkin_answer_blocked", value=value, user_id=CHAMPION, channel_id=channel, message_ts=ts
    )
    return dict(emulator.wait_for("views.open", count=opened + 1)[-1].params["view"])  # opened after the ack


def _submit_blocked(web: RunningApp, form: dict[str, Any], *, blocked_by: str | None) -> None:
    option = {"value": blocked_by, "text": {"type": "plain_text", "text": "x"}} if blocked_by else None
    result = web.slack.submit_view(
        callback_id="checkin_note_form",
        values={
            "note": {"type": "plain_text_input", "value": "Can't test until the import is fixed"},
            "blocked_by": {"type": "static_select", "selected_option": option},
        },
        user_id=CHAMPION,
        private_metadata=form["private_metadata"],
    )
    assert result.status == 200 and result.body == "", result.body


@pytest.fixture
def independent_plan(web: RunningApp, emulator: SlackEmulator) -> tuple[int, int]:
    """The vendor's fix is not due for weeks and nothing waits on it: only a Blocked answer can name it."""
    run(web, emulator, ADD_ACME)
    fix = commit(web, emulator, 'commit Acme vendor <@U0ENG> "Ship the calendar import fix" by 2026-12-31')
    test = commit(web, emulator, TEST)
    agree_to_plan(web, emulator)
    return fix, test


def test_a_blocked_answer_naming_a_vendor_commitment_counts_against_the_vendor_and_tells_them(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
    independent_plan: tuple[int, int],
) -> None:
    fix, _ = independent_plan
    run_due_work(sessions, gateway, now=WED)
    clock.now = WED + timedelta(minutes=5)
    form = _blocked_form(web, emulator)
    [picker] = [b for b in form["blocks"] if b["block_id"] == "blocked_by"]
    values = [o["value"] for o in picker["element"]["options"]]
    assert values == [str(fix), "not_on_plan"]  # the other side's open commitments, then "not on the plan"
    assert picker["element"]["options"][0]["text"]["text"] == f"#{fix} Ship the calendar import fix"

    _submit_blocked(web, form, blocked_by=str(fix))
    emulator.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] in (ENGINEER, emulator.dm_channel(ENGINEER))
    )
    [row] = checkins(sessions)
    assert (row.answer, row.blocked_by_commitment_id, row.charged_side) == (Answer.BLOCKED, fix, Side.VENDOR)
    [owner_dm] = [c for c in dms_to(emulator, ENGINEER) if "answered *Blocked*" in text_of(c)]
    assert f"your commitment #{fix} “Ship the calendar import fix”" in text_of(owner_dm)
    assert "counts against the vendor side" in text_of(owner_dm)
    emulator.wait_for("chat.postMessage", where=lambda c: "Named as the blocker" in text_of(c))
    [csm_dm] = [c for c in dms_to(emulator, CSM) if "Named as the blocker" in text_of(c)]
    assert "Can't test until the import is fixed" in text_of(csm_dm)

    clock.now = WED + timedelta(hours=1)
    assert "customer side no check-ins yet · vendor side kept 0 of 1 (0 %)" in run(web, emulator, "list Acme")


def test_blocked_by_something_not_on_the_plan_asks_the_csm_to_add_it(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
    independent_plan: tuple[int, int],
) -> None:
    _, test = independent_plan
    run_due_work(sessions, gateway, now=WED)
    clock.now = WED + timedelta(minutes=5)
    _submit_blocked(web, _blocked_form(web, emulator), blocked_by="not_on_plan")
    emulator.wait_for("chat.postMessage", where=lambda c: "not on the plan" in text_of(c))
    [ask] = [c for c in dms_to(emulator, CSM) if "not on the plan" in text_of(c)]
    assert f"/accountability depend #{test} on #<new>" in text_of(ask)
    assert dms_to(emulator, ENGINEER) == []
    [row] = checkins(sessions)
    assert (row.blocked_by_commitment_id, row.charged_side) == (None, None)  # still the customer's miss


def test_a_dependency_cycle_is_refused_with_the_chain_named_and_nothing_written(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    a = commit(web, emulator, FIX)
    b = commit(web, emulator, f"{TEST} after #{a}")
    c = commit(web, emulator, f'commit Acme vendor <@U0ENG> "Deploy the fix" by 2026-12-10 after #{b}')
    before = diary_kinds(sessions)
    reply = run(web, emulator, f"depend #{a} on #{c}")
    assert f"#{c} already waits on #{a} (#{c} → #{b} → #{a})" in reply and "Nothing was changed" in reply
    with sessions() as session:
        assert session.get_one(Commitment, a).waits_on_id is None
    assert diary_kinds(sessions) == before

    assert f"no longer waits on #{a}" in run(web, emulator, f"undepend #{b}")
    assert f"#{a} now waits on #{c}" in run(web, emulator, f"depend #{a} on #{c}")
    assert diary_kinds(sessions)[-2:] == ["dependency_cleared", "dependency_set"]


def test_a_customer_may_not_change_dependencies(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    a = commit(web, emulator, FIX)
    b = commit(web, emulator, f"{TEST} after #{a}")
    before = diary_kinds(sessions)
    for command in (f"undepend #{b}", f"depend #{a} on #{b}"):
        assert run(web, emulator, command, user_id=CHAMPION) == CUSTOMER_REFUSAL
    with sessions() as session:
        assert [c.waits_on_id for c in session.scalars(select(Commitment).order_by(Commitment.id))] == [
            None,
            a,
        ]
    assert diary_kinds(sessions) == before


def test_the_commit_form_field_makes_a_commitment_wait_on_another(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    fix = commit(web, emulator, FIX)
    values = {
        "account": {"type": "plain_text_input", "value": "Acme"},
        "side": {"type": "static_select", "selected_option": {"value": "customer", "text": {"type": "plain_text", "text": "Customer"}}},
        "owner": {"type": "users_select", "selected_user": CHAMPION},
        "action": {"type": "plain_text_input", "value": "Test the calendar import"},
        "schedule": {"type": "plain_text_input", "value": "every friday"},
        "at": {"type": "timepicker", "selected_time": "10:00"},
        "after": {"type": "plain_text_input", "value": f"#{fix}"},
    }  # fmt: skip
    refused = web.slack.submit_view(
        callback_id="commit_form",
        values={**values, "after": {"type": "plain_text_input", "value": "soon"}},
        user_id=CSM,
    )
    assert "not a commitment number" in refused.json()["errors"]["after"]
    accepted = web.slack.submit_view(callback_id="commit_form", values=values, user_id=CSM)
    assert accepted.status == 200 and accepted.body == ""
    emulator.wait_for("chat.postMessage", where=lambda c: f"It waits on #{fix}." in str(c.params["text"]))
    with sessions() as session:
        [waiting] = session.scalars(select(Commitment).where(Commitment.id != fix))
        assert waiting.waits_on_id == fix
    assert diary_kinds(sessions).count("dependency_set") == 1


def test_a_named_blocker_who_cannot_be_dmed_is_noted_in_plain_words_and_the_csm_still_told(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
    independent_plan: tuple[int, int],
) -> None:
    fix, _ = independent_plan
    emulator.set_dm_error(ENGINEER, "cannot_dm_bot")
    run_due_work(sessions, gateway, now=WED)
    clock.now = WED + timedelta(minutes=5)
    _submit_blocked(web, _blocked_form(web, emulator), blocked_by=str(fix))
    emulator.wait_for("chat.postMessage", where=lambda c: "Named as the blocker" in text_of(c))
    with sessions() as session:
        [entry] = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "blocker_not_told"))
        assert entry.private and f"<@{ENGINEER}> could not be told by DM" in entry.text
        assert "cannot_dm_bot" not in entry.text
    [row] = checkins(sessions)
    assert row.charged_side is Side.VENDOR


def test_a_vendor_date_held_up_by_the_customers_missed_part_is_not_escalated_against_the_vendor(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    run(web, emulator, ADD_ACME)
    export = commit(
        web, emulator, 'commit Acme customer <@U0CHAMP> "Send the test export" every monday at 10:00'
    )
    commit(web, emulator, f'commit Acme vendor <@U0ENG> "Ship the fix" by 2026-12-03 after #{export}')
    agree_to_plan(web, emulator)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    run_due_work(sessions, gateway, now=monday)
    run_due_work(sessions, gateway, now=monday + timedelta(hours=23))
    run_due_work(sessions, gateway, now=monday + timedelta(hours=32))  # the customer's export: no response
    run_due_work(sessions, gateway, now=monday + timedelta(days=3, hours=1))  # past the vendor's date
    with sessions() as session:
        assert list(session.scalars(select(Escalation.kind))) == []
    # The customer's part is no longer missed once answered Done: the vendor's date is theirs again.
    run_due_work(sessions, gateway, now=monday + timedelta(weeks=1))
    [dm] = [c for c in dms_to(emulator, CHAMPION) if "Send the test export" in text_of(c)][-1:]
    channel = emulator.dm_channel(CHAMPION)
    web.slack.click(
        action_id="checkin_answer_done",
        value=buttons(dm.params["blocks"])["checkin_answer_done"],
        user_id=CHAMPION,
        channel_id=channel,
        message_ts=emulator.messages(channel)[-1]["ts"],
    )
    emulator.wait_for("chat.update", where=lambda c: "Done" in str(c.params["text"]))
    run_due_work(sessions, gateway, now=monday + timedelta(weeks=1, minutes=10))
    with sessions() as session:
        assert list(session.scalars(select(Escalation.kind))) == ["vendor_overdue"]
