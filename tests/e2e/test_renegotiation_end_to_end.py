"""Renegotiating instead of slipping, over signed HTTP and the emulator: a proposed new date accepted by
the other side (no miss, both dates on record, the schedule moves, the plan's version goes up without a
new "I agree"), one declined and one left unanswered (the original date judged as usual), one open
proposal per commitment, serial renegotiation flagged in the digest, and only the right side answering."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor
from bot.clock_pass import run_due_work
from bot.diary.export import diary_csv
from bot.digest.message import digest_blocks
from bot.digest.report import build_digest
from bot.digest.scorecard import SCORE_WINDOW, kept_rates
from bot.digest.settings import DigestSchedule
from bot.slack.gateway import SlackGateway
from models import (
    Account,
    Agreement,
    CheckIn,
    CheckInState,
    Commitment,
    DiaryEntry,
    Escalation,
    Proposal,
    Side,
)
from slack_emulator import Call, SlackEmulator
from tests.conftest import (
    CHAMPION,
    CSM,
    CUSTOMER_TEAM,
    ENGINEER,
    OUTSIDER_VENDOR,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Clock,
    RunningApp,
)
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

MANAGED = ADD_ACME + " manager:<@U0ENG|eng>"
# Due Monday 30 November at 10:00 in London (the champion's zone, UTC in winter).
BY_MONDAY = 'commit Acme customer <@U0CHAMP|jo> "Send the test export" by 2026-11-30 at 10:00'
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def set_up(web: RunningApp, emulator: SlackEmulator, *, add: str = MANAGED, commit: str = BY_MONDAY) -> None:
    assert "created" in run(web, emulator, add)
    assert "Recorded #" in run(web, emulator, commit)
    agree_to_plan(web, emulator)


def clock_pass(sessions: sessionmaker[Session], gateway: SlackGateway, now: datetime) -> None:
    report = run_due_work(sessions, gateway, now=now)
    assert not report.errors, report.errors


def posts_to(emulator: SlackEmulator, channel: str, action_id: str) -> list[Call]:
    return [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == channel and action_id in buttons(c.params.get("blocks") or [])
    ]


def ts_of(emulator: SlackEmulator, call: Call) -> tuple[str, str]:
    """The conversation and ts Slack gave a post (a DM's channel is the D… one, not the user ID)."""
    channel = call.params["channel"]
    conversation = emulator.dm_channel(channel) if channel.startswith("U") else channel
    message = next(m for m in emulator.messages(conversation) if m.get("text") == call.params["text"])
    return conversation, str(message["ts"])


def only_checkin(sessions: sessionmaker[Session]) -> CheckIn:
    with sessions() as session:
        return session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)).first()  # type: ignore[return-value]


def propose_from_checkin(
    web: RunningApp,
    emulator: SlackEmulator,
    checkin: CheckIn,
    *,
    new: str,
    reason: str,
    user_id: str = CHAMPION,
) -> Any:
    """Propose a new date from the check-in's button, then submit the form."""
    opened = len(emulator.calls_to("views.open"))
    assert checkin.channel_id and checkin.message_ts
    result = web.slack.click(
        action_id="proposal_open",
        value=f"checkin:{checkin.id}",
        user_id=user_id,
        channel_id=checkin.channel_id,
        message_ts=checkin.message_ts,
    )
    assert result.status == 200
    form = emulator.calls_to("views.open")[opened].params["view"]
    if isinstance(form, str):
        form = json.loads(form)
    assert form["callback_id"] == "proposal_form"
    return web.slack.submit_view(
        callback_id="proposal_form",
        values={
            "new": {"type": "plain_text_input", "value": new},
            "reason": {"type": "plain_text_input", "value": reason},
        },
        user_id=user_id,
        private_metadata=form["private_metadata"],
    )


def answer(web: RunningApp, emulator: SlackEmulator, question: Call, action_id: str, *, user_id: str) -> None:
    channel, ts = ts_of(emulator, question)
    result = web.slack.click(
        action_id=action_id,
        value=buttons(question.params["blocks"])[action_id],
        user_id=user_id,
        channel_id=channel,
        message_ts=ts,
    )
    assert result.status == 200


def proposals(sessions: sessionmaker[Session]) -> list[Proposal]:
    with sessions() as session:
        return list(session.scalars(select(Proposal).order_by(Proposal.id)))


def diary(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(e.kind, e.text) for e in session.scalars(select(DiaryEntry).order_by(DiaryEntry.id))]


def commitment(sessions: sessionmaker[Session]) -> Commitment:
    with sessions() as session:
        found = session.scalars(select(Commitment).order_by(Commitment.id)).first()
        assert found is not None
        return found


def rates(sessions: sessionmaker[Session], now: datetime) -> dict[Side, Any]:
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        found = kept_rates(session, [account.id], since=now - SCORE_WINDOW)
        return {side: rate for (_, side), rate in found.items()}


def test_an_accepted_proposal_moves_the_date_and_the_checkin_counts_for_neither_side(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(web, emulator)
    clock_pass(sessions, gateway, MON_10)
    checkin = only_checkin(sessions)
    assert checkin.state is CheckInState.SENT
    dm = posts_to(emulator, CHAMPION, "checkin_answer_done")[0]
    assert buttons(dm.params["blocks"])["proposal_open"] == f"checkin:{checkin.id}"

    clock.now = MON_10 + timedelta(hours=1)
    submitted = propose_from_checkin(
        web, emulator, checkin, new="dec 7", reason="Our export waits on the vendor's import fix"
    )
    assert submitted.status == 200 and not submitted.body
    # The customer proposed: the CSM answers, in their DM.
    question = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[-1]
    assert {"proposal_accept", "proposal_decline"} <= set(buttons(question.params["blocks"]))
    assert "Mon 7 Dec 2026" in question.params["text"]

    clock.now = MON_10 + timedelta(hours=2)
    answer(web, emulator, question, "proposal_accept", user_id=CSM)
    told = emulator.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == CHAMPION and "accepted" in c.params["text"]
    )
    assert told

    [proposal] = proposals(sessions)
    assert (proposal.state, proposal.answered_by, proposal.checkin_id) == ("accepted", CSM, checkin.id)
    moved = commitment(sessions)
    assert (moved.due_on, moved.renegotiations) == (date(2026, 12, 7), 1)
    assert only_checkin(sessions).state is CheckInState.RENEGOTIATED
    # The check-in's message shows it was renegotiated, without its buttons.
    redrawn = [c for c in emulator.calls_to("chat.update") if c.params["ts"] == checkin.message_ts][-1]
    assert "Renegotiated" in redrawn.params["text"]
    assert all(block["type"] != "actions" for block in redrawn.params["blocks"])
    # Both dates, the reason, who proposed and who accepted, in the diary and in the export.
    accepted = [text for kind, text in diary(sessions) if kind == "renegotiation_accepted"]
    assert len(accepted) == 1
    for words in ("Mon 30 Nov 2026", "Mon 7 Dec 2026", "vendor's import fix", f"<@{CHAMPION}>", f"<@{CSM}>"):
        assert words in accepted[0], words
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        csv, _ = diary_csv(
            session, account=account, actor=Actor(CSM, VENDOR_TEAM, None, is_admin=False, is_external=False)
        )
        # The plan's version went up, agreed by the champion who proposed the change: no new "I agree".
        assert account.plan_version == 2
        agreements = list(session.scalars(select(Agreement).order_by(Agreement.version)))
    assert "renegotiation_accepted" in csv and "Mon 30 Nov 2026" in csv and "Mon 7 Dec 2026" in csv
    assert [(a.version, a.response, a.responded_by) for a in agreements] == [
        (1, "agreed", CHAMPION),
        (2, "agreed", CHAMPION),
    ]
    assert "already agreed to version 2" in run(web, emulator, "agreement Acme")

    # The old date's check-in never closes as a miss; the new date gets its check-in.
    for day in (1, 2, 3, 4):
        clock_pass(sessions, gateway, MON_10 + timedelta(days=day, hours=9))
    assert only_checkin(sessions).state is CheckInState.RENEGOTIATED
    clock_pass(sessions, gateway, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    with sessions() as session:
        scheduled = [c.scheduled_at for c in session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at))]
        assert session.scalars(select(Escalation)).all() == []
    assert scheduled == [MON_10, datetime(2026, 12, 7, 10, 0, tzinfo=UTC)]
    customer = rates(sessions, datetime(2026, 12, 7, 11, 0, tzinfo=UTC))[Side.CUSTOMER]
    assert (customer.total, customer.missed, customer.renegotiated) == (0, 0, 1)
    assert "1 renegotiated" in run(web, emulator, "list Acme")


def test_a_declined_and_an_unanswered_proposal_leave_the_original_date_to_be_judged(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(web, emulator)
    clock_pass(sessions, gateway, MON_10)
    checkin = only_checkin(sessions)

    clock.now = MON_10 + timedelta(hours=1)
    propose_from_checkin(web, emulator, checkin, new="dec 4", reason="Short on hands this week")
    question = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[-1]
    opened = len(emulator.calls_to("views.open"))
    answer(web, emulator, question, "proposal_decline", user_id=CSM)
    form = emulator.calls_to("views.open")[opened].params["view"]
    assert form["callback_id"] == "proposal_decline_form"
    web.slack.submit_view(
        callback_id="proposal_decline_form",
        values={"note": {"type": "plain_text_input", "value": "The launch needs it on Monday"}},
        user_id=CSM,
        private_metadata=form["private_metadata"],
    )
    emulator.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == CHAMPION and "declined" in c.params["text"]
    )
    assert [p.state for p in proposals(sessions)] == ["declined"]
    declined = [text for kind, text in diary(sessions) if kind == "renegotiation_declined"]
    assert "The launch needs it on Monday" in declined[0] and "original date stands" in declined[0]
    assert commitment(sessions).due_on == date(2026, 11, 30)
    assert only_checkin(sessions).state is CheckInState.SENT

    # A second proposal, which no one answers; meanwhile a third is refused.
    clock.now = MON_10 + timedelta(hours=2)
    propose_from_checkin(web, emulator, checkin, new="dec 8", reason="Still short on hands")
    number = commitment(sessions).id
    refused = run(web, emulator, f'propose #{number} by dec 9 "One more try"')
    assert f"There is already an open proposal for #{number}" in refused
    assert len(proposals(sessions)) == 2

    # One working day on (in the CSM's zone), the account's manager is asked too.
    clock_pass(sessions, gateway, datetime(2026, 12, 1, 17, 30, tzinfo=UTC))
    assert len(posts_to(emulator, ENGINEER, "proposal_accept")) == 1
    # The check-in falls due as usual: closed with no response at the end of Tuesday, a miss.
    clock_pass(sessions, gateway, datetime(2026, 12, 1, 18, 5, tzinfo=UTC))
    assert only_checkin(sessions).state is CheckInState.NO_RESPONSE
    # Two working days on, the proposal lapses; the diary says the original date stands.
    clock_pass(sessions, gateway, datetime(2026, 12, 2, 17, 30, tzinfo=UTC))
    assert [p.state for p in proposals(sessions)] == ["declined", "expired"]
    assert any(kind == "renegotiation_expired" for kind, _ in diary(sessions))
    assert emulator.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == CHAMPION and "lapsed" in c.params["text"]
    )
    assert commitment(sessions).due_on == date(2026, 11, 30)
    customer = rates(sessions, datetime(2026, 12, 2, 18, 0, tzinfo=UTC))[Side.CUSTOMER]
    assert (customer.total, customer.missed, customer.renegotiated) == (1, 1, 0)
    clock_pass(sessions, gateway, datetime(2026, 12, 3, 17, 30, tzinfo=UTC))
    assert len(posts_to(emulator, ENGINEER, "proposal_accept")) == 1  # asked once


def test_only_the_other_side_may_answer_and_a_refused_accept_writes_nothing(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(web, emulator)
    clock_pass(sessions, gateway, MON_10)
    clock.now = MON_10 + timedelta(hours=1)
    propose_from_checkin(web, emulator, only_checkin(sessions), new="dec 7", reason="Holiday")
    question = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[-1]
    before = diary(sessions)
    for wrong in (CHAMPION, OUTSIDER_VENDOR):
        refusals = len(emulator.calls_to("chat.postEphemeral"))
        answer(web, emulator, question, "proposal_accept", user_id=wrong)
        said = emulator.wait_for("chat.postEphemeral", count=refusals + 1)[-1]
        assert "This proposal is for" in said.params["text"] and said.params["user"] == wrong
    assert [p.state for p in proposals(sessions)] == ["open"]
    assert diary(sessions) == before
    assert commitment(sessions).due_on == date(2026, 11, 30)
    # Someone of the vendor's team who is not the CSM cannot propose either.
    number = commitment(sessions).id
    refused = run(web, emulator, f'propose #{number} by dec 8 "Because"', user_id=OUTSIDER_VENDOR)
    assert f"can propose a new date for #{number}" in refused


def test_a_customer_proposes_from_a_channel_checkin_with_their_own_team_id(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(web, emulator, add=MANAGED + " checkins:channel")
    clock_pass(sessions, gateway, MON_10)
    checkin = only_checkin(sessions)
    assert (checkin.place, checkin.channel_id) == ("channel", SHARED_CHANNEL)
    assert web.slack.user_team(CHAMPION) == CUSTOMER_TEAM
    clock.now = MON_10 + timedelta(hours=1)
    submitted = propose_from_checkin(
        web, emulator, checkin, new="tomorrow at 15:00", reason="Data lands late"
    )
    assert submitted.status == 200 and not submitted.body
    [proposal] = proposals(sessions)
    assert (proposal.proposer_side, proposal.new_due_on) == (Side.CUSTOMER, date(2026, 12, 1))
    assert proposal.new_schedule_text == "by Tue 1 Dec 2026 at 15:00"
    assert emulator.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params["channel"] == CSM and "proposal_accept" in buttons(c.params.get("blocks") or [])
        ),
    )
    # The champion is answered where they acted: only they see it, in the shared channel.
    told = emulator.wait_for("chat.postEphemeral", where=lambda c: c.params["user"] == CHAMPION)[-1]
    assert told.params["channel"] == SHARED_CHANNEL and "Proposed" in told.params["text"]


def test_a_bad_date_is_answered_in_the_form_and_nothing_is_proposed(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(web, emulator)
    clock_pass(sessions, gateway, MON_10)
    result = propose_from_checkin(web, emulator, only_checkin(sessions), new="someday", reason="Because")
    assert result.json()["response_action"] == "errors" and "new" in result.json()["errors"]
    assert proposals(sessions) == []


def test_a_vendor_date_moved_a_third_time_is_flagged_in_the_digest(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(
        web,
        emulator,
        commit='commit Acme vendor <@U0CSM|csm> "Ship the calendar import fix" every monday at 10:00',
    )
    number = commitment(sessions).id
    for n, day in enumerate(("tuesday", "wednesday", "thursday")):
        clock.now = MON_10 + timedelta(hours=n)
        reply = run(web, emulator, f'propose #{number} every {day} at 10:00 "The fix needs another review"')
        assert reply.startswith("Proposed"), reply
        # The vendor proposed: the champion answers, where their check-ins go (a DM here).
        question = posts_to(emulator, CHAMPION, "proposal_accept")[-1]
        answer(web, emulator, question, "proposal_accept", user_id=CHAMPION)
        assert [p.state for p in proposals(sessions)] == ["accepted"] * (n + 1)
    moved = commitment(sessions)
    assert (moved.renegotiations, moved.schedule_text) == (3, "every Thursday at 10:00")
    with sessions() as session:
        accounts = list(session.scalars(select(Account)))
        report = build_digest(
            session, accounts, schedule=DigestSchedule(), period_end=MON_10 + timedelta(days=7)
        )
    assert [(s.commitment_id, s.times) for s in report.serial] == [(number, 3)]
    assert report.patterns.renegotiations == {Side.CUSTOMER: 0, Side.VENDOR: 3}
    text = json.dumps(digest_blocks(report, now=MON_10 + timedelta(days=7), heading="Digest"))
    assert "moved 3 times" in text and "vendor 3" in text


def test_a_csm_proposes_from_the_app_home_and_the_champion_answers_where_their_checkins_go(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up(web, emulator, add=MANAGED + " checkins:channel")
    published = len(emulator.calls_to("views.publish"))
    web.slack.event({"type": "app_home_opened", "user": CSM, "channel": "D0X", "tab": "home"})
    home = emulator.wait_for("views.publish", count=published + 1)[published].params["view"]["blocks"]
    number = commitment(sessions).id
    propose = [b["accessory"] for b in home if b.get("accessory", {}).get("action_id") == "proposal_open"]
    assert [p["value"] for p in propose] == [f"commitment:{number}"]

    opened = len(emulator.calls_to("views.open"))
    web.slack.click(
        action_id="proposal_open", value=propose[0]["value"], user_id=CSM, channel_id=None, message_ts=None,
        container_type="view",
    )  # fmt: skip
    form = emulator.calls_to("views.open")[opened].params["view"]
    web.slack.submit_view(
        callback_id="proposal_form",
        values={"new": {"value": "dec 2"}, "reason": {"value": "FitCo asked for two more days"}},
        user_id=CSM,
        private_metadata=form["private_metadata"],
    )
    # The vendor proposed a customer commitment's new date: the champion answers, in the shared channel
    # (where their check-ins go), with their own team ID; the CSM is told by DM.
    question = emulator.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params["channel"] == SHARED_CHANNEL
            and "proposal_accept" in buttons(c.params.get("blocks") or [])
        ),
    )[-1]
    assert f"<@{CHAMPION}>" in question.params["text"]
    answer(web, emulator, question, "proposal_accept", user_id=CHAMPION)
    assert emulator.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == CSM and "accepted" in c.params["text"]
    )
    [proposal] = proposals(sessions)
    assert (proposal.proposer_side, proposal.state, proposal.answered_by) == (
        Side.VENDOR,
        "accepted",
        CHAMPION,
    )
    assert commitment(sessions).due_on == date(2026, 12, 2)
    with sessions() as session:
        agreements = [
            (a.version, a.responded_by)
            for a in session.scalars(select(Agreement).order_by(Agreement.version))
        ]
    assert agreements == [(1, CHAMPION), (2, CHAMPION)]  # the champion accepted it: no new "I agree"
