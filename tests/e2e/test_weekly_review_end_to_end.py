"""The weekly review in the shared channel: posted once a week whatever the number of clock processes,
answered by either side with Yes or Not sure (with a note), shown on the review and in the diary, and
the "Not sure" answers listed for managers in the digest."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.scheduling import NEVER
from bot.clock_pass import run_due_work
from bot.digest.posting import post_due_digests
from bot.review.posting import post_due_reviews
from bot.settings import Settings
from bot.slack.gateway import SlackGateway
from models import Account, Commitment, DiaryEntry, ReviewAnswer, Side, WeeklyReview
from slack_emulator import SlackEmulator
from tests.conftest import (
    CHAMPION,
    CSM,
    CUSTOMER_TEAM,
    OTHER_CHAMPION,
    OUTSIDER_VENDOR,
    SHARED_CHANNEL,
    Clock,
    RunningApp,
)
from tests.factories import add_history, make_account, make_commitment
from tests.faults.delivery import clock_env, tick

CREATED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
REVIEW_AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 15:00 in London, the champion's zone
DIGEST_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the Monday digest after it
DESK = "C0CSMDESK"


def acme(sessions: sessionmaker[Session]) -> int:
    """Acme with a month of history on both sides, nothing left for the clock to send."""
    account_id = make_account(sessions, now=CREATED)
    customer = make_commitment(sessions, account_id=account_id, now=CREATED)
    vendor = make_commitment(
        sessions, account_id=account_id, now=CREATED, owner="U0ENG", tz="Asia/Tokyo", side=Side.VENDOR
    )
    add_history(
        sessions,
        commitment_id=customer,
        newest=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        outcomes=["done", "none", "partly", "done"],
    )
    add_history(
        sessions, commitment_id=vendor, newest=datetime(2026, 11, 30, 1, 0, tzinfo=UTC), outcomes=["done"] * 4
    )
    with sessions.begin() as session:
        session.get_one(Account, account_id).digest_channel_id = DESK
        for commitment in session.scalars(select(Commitment)):
            commitment.next_checkin_at = NEVER
    return account_id


def review_posts(emulator: SlackEmulator) -> list[dict[str, Any]]:
    return [
        c.params
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == SHARED_CHANNEL and c.params["text"].startswith("Weekly review")
    ]


def reviews(sessions: sessionmaker[Session]) -> list[WeeklyReview]:
    with sessions() as session:
        return list(session.scalars(select(WeeklyReview).order_by(WeeklyReview.id)))


def diary(sessions: sessionmaker[Session], kind: str = "review_answer") -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(select(DiaryEntry.text).where(DiaryEntry.kind == kind).order_by(DiaryEntry.id))
        )


def answers(sessions: sessionmaker[Session]) -> list[tuple[str, str, bool, str | None]]:
    with sessions() as session:
        rows = session.scalars(select(ReviewAnswer).order_by(ReviewAnswer.id))
        return [(a.user_id, a.side, a.confident, a.note) for a in rows]


def shown(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def two_clocks_at(instant: datetime, *, settings: Settings, emulator: SlackEmulator, repo_root: Path) -> None:
    """Two clock processes passing at the same instant: at once on PostgreSQL, one after the other on
    SQLite (one file serialises writers)."""
    env = clock_env(settings.database_url, emulator)
    if settings.database_url.startswith("postgres"):
        processes = [
            subprocess.Popen(tick(instant), cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]  # fmt: skip
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
        return
    for _ in range(2):
        done = subprocess.run(
            tick(instant), cwd=repo_root, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr


def test_the_review_is_posted_once_across_two_clocks_answered_by_both_sides_and_listed_in_the_digest(
    web: RunningApp,
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    gateway: SlackGateway,
    settings: Settings,
    clock: Clock,
    repo_root: Path,
) -> None:
    acme(sessions)
    run_due_work(sessions, gateway, now=REVIEW_AT - timedelta(minutes=1))
    assert review_posts(emulator) == []

    two_clocks_at(REVIEW_AT + timedelta(minutes=1), settings=settings, emulator=emulator, repo_root=repo_root)
    run_due_work(sessions, gateway, now=REVIEW_AT + timedelta(hours=2))
    [post] = review_posts(emulator)
    [review] = reviews(sessions)
    assert (review.state, review.week_start, review.due_at) == ("posted", date(2026, 11, 30), REVIEW_AT)
    text = shown(post["blocks"])
    assert post["blocks"][0]["text"]["text"] == "Weekly review — Acme"
    assert "Customer side: this week kept 1 of 1 (100 %) · last 4 weeks kept 2.5 of 4" in text
    assert "Vendor side: this week kept 1 of 1 (100 %) · last 4 weeks kept 4 of 4 (100 %)" in text
    assert "Mon 07 Dec 10:00 (Europe/London)" in text and "Mon 07 Dec 10:00 (Asia/Tokyo)" in text
    assert "*Confident about next week?*\\nNo answers yet." in text

    # The champion answers from their own organisation: their click carries the customer's team ID.
    clock.now = REVIEW_AT + timedelta(hours=1)
    value = str(review.id)
    result = web.slack.click(
        action_id="review_confident", value=value, user_id=CHAMPION, channel_id=SHARED_CHANNEL,
        message_ts=review.message_ts, user_team_id=CUSTOMER_TEAM, team_id=CUSTOMER_TEAM,
    )  # fmt: skip
    assert result.status == 200
    update = emulator.wait_for("chat.update")[0]
    assert (update.params["channel"], update.params["ts"]) == (SHARED_CHANNEL, review.message_ts)
    assert "✅ <@U0CHAMP> (customer) is confident" in shown(update.params["blocks"])

    # The CSM is not sure: the form asks for a note before anything is recorded.
    web.slack.click(
        action_id="review_unsure", value=value, user_id=CSM, channel_id=SHARED_CHANNEL,
        message_ts=review.message_ts,
    )  # fmt: skip
    form = emulator.wait_for("views.open")[0].params["view"]
    assert form["callback_id"] == "review_unsure_form" and form["blocks"][0].get("optional") is False
    assert answers(sessions) == [(CHAMPION, "customer", True, None)]
    empty = web.slack.submit_view(
        callback_id="review_unsure_form", values={"note": {"type": "plain_text_input", "value": None}},
        user_id=CSM, private_metadata=form["private_metadata"],
    )  # fmt: skip
    assert "what worries you" in empty.json()["errors"]["note"]
    done = web.slack.submit_view(
        callback_id="review_unsure_form",
        values={"note": {"type": "plain_text_input", "value": "Waiting on <legal> & the SSO fix"}},
        user_id=CSM, private_metadata=form["private_metadata"],
    )  # fmt: skip
    assert done.body == ""
    update = emulator.wait_for("chat.update", count=2)[1]
    redrawn = shown(update.params["blocks"])
    assert "✅ <@U0CHAMP> (customer) is confident" in redrawn
    assert "🤔 <@U0CSM> (vendor) is not sure\\n> Waiting on &lt;legal&gt; &amp; the SSO fix" in redrawn
    assert diary(sessions) == [
        "<@U0CHAMP> is confident about next week.",
        "<@U0CSM> is not sure about next week: Waiting on &lt;legal&gt; &amp; the SSO fix",
    ]

    # A double click writes nothing new.
    web.slack.click(
        action_id="review_confident", value=value, user_id=CHAMPION, channel_id=SHARED_CHANNEL,
        message_ts=review.message_ts,
    )  # fmt: skip
    # Someone of another account, and a vendor colleague with no role on it, are refused.
    for outsider in (OTHER_CHAMPION, OUTSIDER_VENDOR):
        web.slack.click(
            action_id="review_confident", value=value, user_id=outsider, channel_id=SHARED_CHANNEL,
            message_ts=review.message_ts,
        )  # fmt: skip
    refusals = emulator.wait_for("chat.postEphemeral", count=2)
    assert {r.params["user"] for r in refusals} == {OTHER_CHAMPION, OUTSIDER_VENDOR}
    assert all("Nothing was recorded" in r.params["text"] for r in refusals)
    assert len(diary(sessions)) == 2
    assert answers(sessions) == [
        (CHAMPION, "customer", True, None),
        (CSM, "vendor", False, "Waiting on <legal> & the SSO fix"),
    ]
    assert len(emulator.calls_to("chat.update")) == 2

    # Managers read the week's answers in the digest, the "Not sure" under what needs attention.
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1
    [digest] = [c.params for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == DESK]
    sections = "\n".join(b["text"]["text"] for b in digest["blocks"] if b["type"] == "section")
    assert (
        "*Weekly reviews* — confident about next week?\nAcme — confident: U0CHAMP (customer) · not sure: U0CSM (vendor)"
        in sections
    )
    assert (
        "*Not sure about next week* (1)\n• Acme — U0CSM (vendor): “Waiting on &lt;legal&gt; &amp; the SSO fix”"
        in sections
    )


def test_a_later_answer_replaces_the_persons_earlier_one(
    web: RunningApp,
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    acme(sessions)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT) == 1
    [review] = reviews(sessions)
    clock.now = REVIEW_AT + timedelta(minutes=30)
    web.slack.click(
        action_id="review_unsure", value=str(review.id), user_id=CHAMPION, channel_id=SHARED_CHANNEL,
        message_ts=review.message_ts,
    )  # fmt: skip
    form = emulator.wait_for("views.open")[0].params["view"]
    web.slack.submit_view(
        callback_id="review_unsure_form", values={"note": {"type": "plain_text_input", "value": "IT is short-staffed"}},
        user_id=CHAMPION, private_metadata=form["private_metadata"],
    )  # fmt: skip
    emulator.wait_for("chat.update")
    clock.now = REVIEW_AT + timedelta(hours=2)
    web.slack.click(
        action_id="review_confident", value=str(review.id), user_id=CHAMPION, channel_id=SHARED_CHANNEL,
        message_ts=review.message_ts,
    )  # fmt: skip
    last = emulator.wait_for("chat.update", count=2)[1]
    assert answers(sessions) == [(CHAMPION, "customer", True, None)]
    assert "is not sure" not in shown(last.params["blocks"])
    assert diary(sessions) == [
        "<@U0CHAMP> is not sure about next week: IT is short-staffed",
        "<@U0CHAMP> is confident about next week.",
    ]


def test_a_review_slack_refuses_is_retried_with_back_off_and_the_csm_told_once(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    acme(sessions)
    emulator.set_channel(SHARED_CHANNEL, bot_member=False)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT) == 0
    [review] = reviews(sessions)
    assert (review.state, review.last_error, review.attempts) == ("failed", "not_in_channel", 1)
    told = [c.params["text"] for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CSM]
    assert told == [
        "I couldn't post Acme's weekly review in <#C0SHARED>: the bot is not a member of the channel. "
        "Invite me to <#C0SHARED> (`/invite @accountability`) and I'll post it on my next round today."
    ]
    # Inside the back-off nothing is tried; after it, it is tried again, and the CSM is not told twice.
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(minutes=4)) == 0
    assert len(emulator.calls_to("chat.postMessage")) == 2
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(minutes=6)) == 0
    assert [c.params["channel"] for c in emulator.calls_to("chat.postMessage")] == [
        SHARED_CHANNEL,
        CSM,
        SHARED_CHANNEL,
    ]
    [review] = reviews(sessions)
    assert review.attempts == 2 and review.next_attempt_at == REVIEW_AT + timedelta(minutes=16)
    # Invited: the next try posts it, the same day.
    emulator.set_channel(SHARED_CHANNEL, bot_member=True)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(minutes=20)) == 1
    in_channel = [m for m in emulator.messages(SHARED_CHANNEL) if m["text"].startswith("Weekly review")]
    assert len(in_channel) == 1
    [review] = reviews(sessions)
    assert (review.state, review.message_ts is not None) == ("posted", True)


def test_a_clock_that_died_mid_post_does_not_lose_the_week(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    with sessions.begin() as session:
        session.add(
            WeeklyReview(
                team_id="T0VENDOR", account_id=account_id, week_start=date(2026, 11, 30), state="claimed",
                claimed_at=REVIEW_AT, channel_id=SHARED_CHANNEL, due_at=REVIEW_AT,
            )
        )  # fmt: skip
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(minutes=5)) == 0
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(minutes=11)) == 1
    assert len(review_posts(emulator)) == 1
    assert [r.state for r in reviews(sessions)] == ["posted"]


def test_a_review_missed_while_the_clock_was_down_is_not_posted_days_late_and_review_off_posts_none(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    # Back at 23:30 on Friday in London: still the review's day, so it goes out.
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(hours=8, minutes=30)) == 1
    # The next week the clock is down all Friday and back on Saturday: that week has no review.
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(days=8)) == 0
    with sessions.begin() as session:
        session.get_one(Account, account_id).review_enabled = False
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(days=14)) == 0
    assert len(review_posts(emulator)) == 1


def test_not_sure_opens_no_form_for_an_outsider_and_last_weeks_review_is_out_of_date(
    web: RunningApp,
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    acme(sessions)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT) == 1
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(weeks=1)) == 1
    last_week, this_week = reviews(sessions)
    clock.now = REVIEW_AT + timedelta(weeks=1, hours=1)
    web.slack.click(
        action_id="review_unsure", value=str(this_week.id), user_id=OTHER_CHAMPION, channel_id=SHARED_CHANNEL,
        message_ts=this_week.message_ts,
    )  # fmt: skip
    web.slack.click(
        action_id="review_confident", value=str(last_week.id), user_id=CHAMPION, channel_id=SHARED_CHANNEL,
        message_ts=last_week.message_ts,
    )  # fmt: skip
    refusals = {r.params["user"]: r.params["text"] for r in emulator.wait_for("chat.postEphemeral", count=2)}
    assert refusals[OTHER_CHAMPION].startswith("Only the people on Acme")
    assert (
        refusals[CHAMPION]
        == "This is an earlier week's review; please answer this week's. Nothing was recorded."
    )
    assert emulator.calls_to("views.open") == [] and emulator.calls_to("chat.update") == []
    assert answers(sessions) == [] and diary(sessions) == []
