"""Escalations both ways, driven by clock passes and answers, asserted on the posts and the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.escalation.episodes import resolve_once as _resolve
from bot.escalation.handling import resolve
from bot.slack.gateway import SlackGateway
from models import Account, Autopsy, Commitment, DiaryEntry, Escalation, EscalationState
from slack_emulator import Call, SlackEmulator
from slack_emulator.outbound import HttpResult
from tests.conftest import CHAMPION, CSM, ESCALATION_CHANNEL, OUTSIDER_VENDOR, Clock, RunningApp
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

BOSS = "U0BOSS"
WEEKLY = 'commit Acme customer <@U0CHAMP> "Send the usage report" every monday at 10:00'


def monday(week: int) -> datetime:
    """Monday 10:00 London (UTC in winter) of the n-th week after 30 Nov 2026."""
    return datetime(2026, 11, 30, 10, 0, tzinfo=UTC) + timedelta(weeks=week)


def let_week_pass_unanswered(sessions: sessionmaker[Session], gateway: SlackGateway, week: int) -> None:
    run_due_work(sessions, gateway, now=monday(week))  # the check-in
    run_due_work(sessions, gateway, now=monday(week) + timedelta(hours=23))  # Tuesday 09:00: the reminder
    run_due_work(sessions, gateway, now=monday(week) + timedelta(hours=32))  # Tuesday 18:00: no response


def posts(emulator: SlackEmulator) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == ESCALATION_CHANNEL]


def updates(emulator: SlackEmulator) -> list[Call]:
    return [c for c in emulator.calls_to("chat.update") if c.params["channel"] == ESCALATION_CHANNEL]


def episodes(sessions: sessionmaker[Session]) -> list[Escalation]:
    with sessions() as session:
        return list(session.scalars(select(Escalation).order_by(Escalation.id)))


def text_of(call: Call) -> str:
    return str(call.params["text"]) + json.dumps(call.params.get("blocks"), ensure_ascii=False)


@pytest.fixture
def acme(web: RunningApp, emulator: SlackEmulator, clock: Clock) -> None:
    emulator.add_user(BOSS, team_id="T0VENDOR", name="boss", tz="America/New_York")
    run(web, emulator, ADD_ACME + f" manager:<@{BOSS}>")
    run(web, emulator, WEEKLY)
    agree_to_plan(web, emulator)


@pytest.mark.usefixtures("acme")
def test_customer_slip_nudges_then_escalates_then_raises_then_resolves_on_done(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    let_week_pass_unanswered(sessions, gateway, 0)
    nudges = [c for c in emulator.calls_to("chat.postMessage") if c.params["text"].startswith("No worries")]
    assert [c.params["channel"] for c in nudges] == [CHAMPION]
    assert posts(emulator) == []  # a first miss: nudge only

    let_week_pass_unanswered(sessions, gateway, 1)
    [post] = posts(emulator)
    assert f"<@{CSM}>" in text_of(post) and BOSS not in text_of(post)
    assert "Two of the last two check-ins were missed." in text_of(post)
    assert "✗ ✗" in text_of(post) and "The customer agreed to this commitment on" in text_of(post)
    assert set(buttons(post.params["blocks"])) == {
        "escalation_ack",
        "escalation_resolve",
        "escalation_autopsy",
    }

    let_week_pass_unanswered(sessions, gateway, 2)
    slip = [p for p in posts(emulator) if "Customer commitment slipping" in text_of(p)]
    assert len(slip) == 1  # the same post, updated in place
    raised = [u for u in updates(emulator) if "Three of the last three" in text_of(u)][-1]
    assert f"<@{BOSS}> (manager)" in text_of(raised) and "at risk" in text_of(raised)
    with sessions() as session:
        assert session.scalars(select(Account)).one().at_risk is True
    champion = [p for p in posts(emulator) if "Champion unresponsive" in text_of(p)]
    assert len(champion) == 1  # three no-responses in a row: its own episode

    # Week 3: the champion answers Done, and both episodes resolve themselves.
    run_due_work(sessions, gateway, now=monday(3))
    dm = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION][-1]
    channel = emulator.dm_channel(CHAMPION)
    clock.now = monday(3) + timedelta(minutes=5)
    web.slack.click(action_id="checkin_answer_done", value=buttons(dm.params["blocks"])["checkin_answer_done"],
                    user_id=CHAMPION, channel_id=channel, message_ts=emulator.messages(channel)[-1]["ts"])  # fmt: skip
    emulator.wait_for(
        "chat.update", where=lambda c: c.params["channel"] == channel and "Done" in c.params["text"]
    )
    run_due_work(sessions, gateway, now=monday(3) + timedelta(minutes=10))
    assert {e.state for e in episodes(sessions)} == {EscalationState.RESOLVED}
    assert any("Resolved" in text_of(u) for u in updates(emulator))
    with sessions() as session:
        kinds = list(session.scalars(select(DiaryEntry.kind)))
    assert kinds.count("escalation_opened") == 2 and kinds.count("escalation_raised") == 1
    assert kinds.count("escalation_resolved") == 2


@pytest.mark.usefixtures("acme")
def test_fifty_ticks_over_an_open_episode_leave_exactly_one_post(
    emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    let_week_pass_unanswered(sessions, gateway, 0)
    let_week_pass_unanswered(sessions, gateway, 1)
    for tick in range(50):
        run_due_work(sessions, gateway, now=monday(1) + timedelta(hours=33, minutes=tick))
    assert len(posts(emulator)) == 1
    assert len(episodes(sessions)) == 1


@pytest.mark.usefixtures("acme")
def test_shared_diary_copy_of_an_escalation_is_worded_neutrally(
    emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    let_week_pass_unanswered(sessions, gateway, 0)
    let_week_pass_unanswered(sessions, gateway, 1)
    shared = [
        str(c.params["text"])
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == "C0SHARED"
    ]
    [line] = [t for t in shared if "were missed" in t]
    assert "Two of the last two check-ins were missed." in line


@pytest.mark.usefixtures("acme")
def test_paused_commitments_never_escalate(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    let_week_pass_unanswered(sessions, gateway, 0)
    clock.now = monday(0) + timedelta(days=2)
    with sessions() as session:
        number = session.scalars(select(Commitment.id)).one()
    run(web, emulator, f"pause #{number}")
    for week in (1, 2, 3):
        let_week_pass_unanswered(sessions, gateway, week)
    assert posts(emulator) == [] and episodes(sessions) == []


@pytest.mark.usefixtures("acme")
def test_skipped_occurrences_never_escalate(
    emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run_due_work(sessions, gateway, now=monday(3) + timedelta(days=2))  # down for three weeks
    assert posts(emulator) == [] and episodes(sessions) == []


def vendor_fix_due_on_1_december(web: RunningApp, emulator: SlackEmulator) -> None:
    """Owned by the engineer in Tokyo; the account has a manager to raise it to."""
    emulator.add_user(BOSS, team_id="T0VENDOR", name="boss", tz="America/New_York")
    run(web, emulator, ADD_ACME + f" manager:<@{BOSS}>")
    run(web, emulator, 'commit Acme vendor <@U0ENG> "Ship the import fix" by 2026-12-01 at 10:00')


def test_overdue_vendor_commitment_escalates_a_working_day_after_its_date_and_raises_two_later(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    vendor_fix_due_on_1_december(web, emulator)
    # Its check-in is on Tuesday 1 Dec; it is judged at the end of the next working day, Wednesday 2 Dec,
    # 18:00 in Tokyo (09:00 UTC): never the same evening as the check-in.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 8, 59, tzinfo=UTC))
    assert posts(emulator) == []
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    [post] = posts(emulator)
    assert "Vendor commitment overdue" in text_of(post) and f"<@{CSM}>" in text_of(post)
    assert BOSS not in text_of(post)
    run_due_work(sessions, gateway, now=datetime(2026, 12, 4, 8, 59, tzinfo=UTC))
    assert not any(BOSS in text_of(u) for u in updates(emulator))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 4, 9, 0, tzinfo=UTC))  # two working days later
    assert any(f"<@{BOSS}> (manager)" in text_of(u) for u in updates(emulator))
    assert len(posts(emulator)) == 1
    assert [(e.kind, e.level) for e in episodes(sessions)] == [("vendor_overdue", 2)]


def test_an_overdue_vendor_episode_resolved_by_hand_is_neither_reopened_nor_raised(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    vendor_fix_due_on_1_december(web, emulator)
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    [post] = posts(emulator)
    click_escalation(web, emulator, post, "escalation_resolve")
    resolve_form(web, emulator, "New date agreed: Friday")
    emulator.wait_for("chat.update", where=lambda c: "New date agreed" in text_of(c))
    for at in (datetime(2026, 12, 2, 10, 0, tzinfo=UTC), datetime(2026, 12, 4, 9, 0, tzinfo=UTC)):
        run_due_work(sessions, gateway, now=at)
    assert len(posts(emulator)) == 1
    assert [(e.state, e.level) for e in episodes(sessions)] == [(EscalationState.RESOLVED, 1)]


def test_missed_recurring_vendor_checkin_escalates_at_the_first_miss(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, 'commit Acme vendor <@U0CSM> "Review the usage report" every monday at 10:00')
    # New York: Monday 10:00 is 15:00 UTC; the reminder Tuesday 14:00 UTC; closed after 23:00 UTC.
    for hours in (0, 23, 32):
        run_due_work(
            sessions, gateway, now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC) + timedelta(hours=hours)
        )
    [post] = posts(emulator)
    assert "Vendor check-in missed" in text_of(post)


def resolve_form(web: RunningApp, emulator: SlackEmulator, note: str | None) -> HttpResult:
    """Submit the Resolve form the last click opened, as the CSM."""
    form = emulator.wait_for("views.open")[0].params["view"]
    return web.slack.submit_view(
        callback_id=form["callback_id"],
        values={"note": {"type": "plain_text_input", "value": note}},
        user_id=CSM,
        private_metadata=form["private_metadata"],
    )


def escalate(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> Call:
    let_week_pass_unanswered(sessions, gateway, 0)
    let_week_pass_unanswered(sessions, gateway, 1)
    return posts(emulator)[0]


def click_escalation(
    web: RunningApp, emulator: SlackEmulator, post: Call, action_id: str, *, user_id: str = CSM
) -> None:
    ts = emulator.messages(ESCALATION_CHANNEL)[0]["ts"]
    web.slack.click(action_id=action_id, value=buttons(post.params["blocks"])[action_id], user_id=user_id,
                    channel_id=ESCALATION_CHANNEL, message_ts=ts)  # fmt: skip


@pytest.mark.usefixtures("acme")
def test_acknowledge_and_resolve_are_recorded_and_shown_in_place(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    post = escalate(web, emulator, sessions, gateway)
    click_escalation(web, emulator, post, "escalation_ack", user_id=OUTSIDER_VENDOR)
    assert "handled by <@U0CSM>" in emulator.wait_for("chat.postEphemeral")[0].params["text"]
    click_escalation(web, emulator, post, "escalation_ack")
    acked = emulator.wait_for("chat.update", where=lambda c: "Acknowledged by" in text_of(c))[0]
    assert f"Acknowledged by <@{CSM}>" in text_of(acked)

    click_escalation(web, emulator, post, "escalation_resolve")
    empty = resolve_form(web, emulator, None)
    assert "how it was resolved" in empty.json()["errors"]["note"]
    resolve_form(web, emulator, "Agreed a lighter report")
    done = emulator.wait_for("chat.update", where=lambda c: "Agreed a lighter report" in text_of(c))[0]
    assert "actions" not in [b["type"] for b in done.params["blocks"]]
    [episode] = episodes(sessions)
    assert (episode.state, episode.acknowledged_by, episode.resolved_by) == (
        EscalationState.RESOLVED,
        CSM,
        CSM,
    )


def autopsy_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "vendor_causes": {"type": "checkboxes", "selected_options": [{"value": "onboarding"}]},
        "customer_causes": {"type": "checkboxes", "selected_options": [{"value": "customer_capacity"}]},
        "other": {"type": "plain_text_input", "value": None},
        "other_side": {"type": "static_select", "selected_option": None},
        "fix_action": {"type": "plain_text_input", "value": "Run a second onboarding session"},
        "fix_side": {"type": "static_select", "selected_option": {"value": "vendor"}},
        "fix_owner": {"type": "users_select", "selected_user": "U0ENG"},
        "fix_schedule": {"type": "plain_text_input", "value": "by dec 18"},
    }
    values.update(overrides)
    return values


@pytest.mark.usefixtures("acme")
def test_autopsy_form_validates_then_stores_causes_and_creates_the_corrective_commitment(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    post = escalate(web, emulator, sessions, gateway)
    click_escalation(web, emulator, post, "escalation_autopsy")
    form = emulator.wait_for("views.open")[0].params["view"]
    assert form["callback_id"] == "autopsy_form"

    def submit(values: dict[str, Any]) -> Any:
        return web.slack.submit_view(callback_id="autopsy_form", values=values, user_id=CSM,
                                     private_metadata=form["private_metadata"])  # fmt: skip

    none = {"type": "checkboxes", "selected_options": []}
    assert (
        "at least one cause"
        in submit(autopsy_values(vendor_causes=none, customer_causes=none)).json()["errors"]["vendor_causes"]
    )
    described = {"type": "plain_text_input", "value": "Champion on leave"}
    assert "Say whose cause" in submit(autopsy_values(other=described)).json()["errors"]["other_side"]
    vendor_side = {"type": "static_select", "selected_option": {"value": "vendor"}}
    assert (
        "Describe the other cause" in submit(autopsy_values(other_side=vendor_side)).json()["errors"]["other"]
    )
    partial = {"type": "users_select", "selected_user": None}
    assert "leave all four empty" in submit(autopsy_values(fix_owner=partial)).json()["errors"]["fix_owner"]
    bad_date = {"type": "plain_text_input", "value": "by someday"}
    assert "not a date" in submit(autopsy_values(fix_schedule=bad_date)).json()["errors"]["fix_schedule"]
    with sessions() as session:
        assert session.scalars(select(Autopsy)).all() == []

    clock.now = datetime(2026, 12, 9, 12, tzinfo=UTC)
    assert submit(autopsy_values()).body == ""
    reply = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[0]
    assert "Autopsy recorded for Acme: 2 causes. Corrective commitment #" in reply.params["text"]
    with sessions() as session:
        autopsy = session.scalars(select(Autopsy)).one()
        assert json.loads(autopsy.causes) == [
            {"cause": "onboarding", "side": "vendor"},
            {"cause": "customer_capacity", "side": "customer"},
        ]
        fix = session.get_one(Commitment, int(autopsy.corrective_commitment_ids))
        assert (fix.action, fix.side.value, fix.owner.user_id, str(fix.due_on)) == (
            "Run a second onboarding session", "vendor", "U0ENG", "2026-12-18",
        )  # fmt: skip
        assert autopsy.escalation_id == episodes(sessions)[0].id


@pytest.mark.usefixtures("acme")
def test_autopsy_command_opens_the_form_for_the_csm_only(web: RunningApp, emulator: SlackEmulator) -> None:
    assert "Only <@U0CSM>" in web.slack.command("autopsy Acme", user_id=OUTSIDER_VENDOR).json()["text"]
    assert "no account called" in web.slack.command("autopsy Nowhere", user_id=CSM).json()["text"]
    assert web.slack.command("autopsy Acme", user_id=CSM).body == ""
    assert emulator.wait_for("views.open")[0].params["view"]["callback_id"] == "autopsy_form"


@pytest.mark.usefixtures("acme")
def test_policy_is_shown_in_plain_words_and_changed_only_by_the_csm(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    shown = run(web, emulator, "policy Acme")
    assert "Escalation policy for Acme" in shown and "Two misses in the last 4" in shown
    assert "Only <@U0CSM>" in run(web, emulator, "policy Acme escalate_after:3", user_id=OUTSIDER_VENDOR)
    changed = run(web, emulator, "policy Acme escalate_after:3 raise_after:4")
    assert "Three misses in the last 4" in changed
    assert "must be at least" in run(web, emulator, "policy Acme raise_after:2")
    # With three misses needed, two in a row still escalate (the rule says "or two in a row").
    let_week_pass_unanswered(sessions, gateway, 0)
    let_week_pass_unanswered(sessions, gateway, 1)
    assert len(posts(emulator)) == 1


@pytest.mark.usefixtures("acme")
def test_a_resolution_racing_another_is_recorded_once(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    """Two Resolve submissions read the episode open at the same moment; only the first one counts."""
    escalate(web, emulator, sessions, gateway)
    now = monday(2)
    with sessions.begin() as slower:
        [episode] = slower.scalars(select(Escalation)).all()  # read while still open
        account = slower.get_one(Account, episode.account_id)
        assert (
            resolve(
                sessions, escalation_id=episode.id, user_id=CSM, note="First", admins=frozenset(), now=now
            )
            is None
        )
        assert _resolve(slower, episode, account=account, by=CSM, note="Second", now=now) is False
    with sessions() as session:
        resolutions = session.scalars(
            select(DiaryEntry.text).where(DiaryEntry.kind == "escalation_resolved")
        ).all()
    assert resolutions == [f"Escalation resolved by <@{CSM}>: First"]
