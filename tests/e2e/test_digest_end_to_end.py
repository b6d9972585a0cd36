"""The weekly digest as managers receive it: posted by the clock once per period, with its chart and
table in the thread, and on request by a CSM or an admin."""

from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.scheduling import NEVER
from bot.clock_pass import run_due_work
from bot.digest.chart import HEIGHT_PX, WIDTH_PX
from bot.digest.posting import post_due_digests
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, make_client
from models import Account, Commitment, Digest, Escalation, EscalationState, Side, WorkspaceSettings
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, CSM, OUTSIDER_VENDOR, TOKEN, VENDOR_TEAM, Clock, RunningApp
from tests.factories import add_history, make_account, make_commitment, open_escalation
from tests.flows import ADD_ACME, run

DESK = "C0CSMDESK"
CREATED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DIGEST_AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC, the default
NEWEST = datetime(2027, 2, 22, 10, 0, tzinfo=UTC)


def portfolio(sessions: sessionmaker[Session], *, names: tuple[str, ...] = ("Acme", "Globex")) -> list[int]:
    """Accounts reporting to the CSM desk with weeks of history the clock has nothing left to do for."""
    with freeze_time(CREATED):
        ids = [make_account(sessions, now=CREATED, name=name) for name in names]
        for account_id in ids:
            customer = make_commitment(sessions, account_id=account_id, now=CREATED)
            vendor = make_commitment(
                sessions, account_id=account_id, now=CREATED, owner="U0ENG", side=Side.VENDOR
            )
            add_history(
                sessions, commitment_id=customer, newest=NEWEST, outcomes=["done", "none", "partly"] * 4
            )
            add_history(sessions, commitment_id=vendor, newest=NEWEST, outcomes=["done"] * 12)
    with sessions.begin() as session:
        for account_id in ids:
            session.get_one(Account, account_id).digest_channel_id = DESK
        for commitment in session.scalars(select(Commitment)):
            commitment.next_checkin_at = NEVER  # the history above is all there is
    return ids


def digest_posts(emulator: SlackEmulator, channel: str = DESK) -> list[dict[str, Any]]:
    return [
        c.params
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == channel and "thread_ts" not in c.params
    ]


def section_text(post: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in post["blocks"] if b["type"] == "section")


def test_the_weekly_digest_is_posted_once_per_period_across_repeated_ticks_and_a_clock_restart(
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    gateway: SlackGateway,
    settings: Settings,
    repo_root: Path,
) -> None:
    portfolio(sessions)
    run_due_work(sessions, gateway, now=DIGEST_AT - timedelta(minutes=1))
    assert digest_posts(emulator) == []
    for minutes in (0, 1, 30):
        run_due_work(sessions, gateway, now=DIGEST_AT + timedelta(minutes=minutes))
    # A restarted clock is a new process with its own engine: the database still says it is done.
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": emulator.api_url,
    }
    tick = [sys.executable, "-m", "scheduler", "tick", "--at", "2027-03-01T09:45:00Z"]
    done = subprocess.run(tick, cwd=repo_root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "digests 0" in done.stdout
    posts = digest_posts(emulator)
    assert len(posts) == 1
    assert posts[0]["blocks"][0]["text"]["text"] == "Weekly accountability digest"
    assert (
        "Mon 22 Feb – Mon 01 Mar 2027 09:00 (UTC) · 2 accounts"
        in posts[0]["blocks"][1]["elements"][0]["text"]
    )
    # Each account: the customer's Done this week against 1.5 of 4 in the four weeks before (no
    # response, Partly, Done, no response), so up; the vendor kept everything.
    assert "*Acme*\n    Customer kept 1 of 1 (100 %) ↑ · Vendor kept 1 of 1 (100 %) →" in section_text(
        posts[0]
    )

    run_due_work(sessions, gateway, now=DIGEST_AT + timedelta(weeks=1))
    assert len(digest_posts(emulator)) == 2
    with sessions() as session:
        rows = session.execute(select(Digest.kind, Digest.state, Digest.period_end).order_by(Digest.id)).all()
    assert rows == [("weekly", "posted", DIGEST_AT), ("weekly", "posted", DIGEST_AT + timedelta(weeks=1))]


def test_the_chart_is_a_real_png_uploaded_into_the_digest_thread(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    portfolio(sessions)
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1
    post_ts = emulator.messages(DESK)[0]["ts"]
    files = emulator.uploaded_files()
    assert [(f["filename"], f["channel_id"], f["thread_ts"]) for f in files] == [
        ("kept-rate-2027-03-01.png", DESK, post_ts)
    ]
    image = Image.open(io.BytesIO(files[0]["content"]))
    assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    image.verify()  # decodes the whole file: a truncated or corrupt PNG raises
    assert emulator.calls_to("files.getUploadURLExternal")[0].params["alt_txt"].startswith("Line chart")


def test_the_digest_still_posts_when_the_chart_upload_fails_and_is_not_posted_again(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    portfolio(sessions)
    emulator.error_next("files.completeUploadExternal", "internal_error")
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(minutes=5)) == 0
    assert len(digest_posts(emulator)) == 1
    assert emulator.uploaded_files() == []
    with sessions() as session:
        digest = session.scalars(select(Digest)).one()
    assert (digest.state, digest.attachments_error) == ("posted", "chart: internal_error")


def test_a_post_slack_refuses_is_tried_again_on_the_next_pass(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    portfolio(sessions)
    emulator.error_next("chat.postMessage", "not_in_channel")
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 0
    with sessions() as session:
        digest = session.scalars(select(Digest)).one()
        assert (digest.state, digest.attempts, digest.last_error) == ("failed", 1, "not_in_channel")
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(minutes=1)) == 1
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(minutes=2)) == 0
    assert len(emulator.messages(DESK)) == 1


def test_a_digest_a_dead_clock_left_mid_post_is_posted_again_once(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    portfolio(sessions)
    with sessions.begin() as session:
        session.add(
            Digest(
                team_id=VENDOR_TEAM,
                channel_id=DESK,
                kind="weekly",
                period_start=DIGEST_AT - timedelta(weeks=1),
                period_end=DIGEST_AT,
                state="claimed",
                attempts=0,
                claimed_at=DIGEST_AT,
                accounts=2,
            )
        )
    assert (
        post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(minutes=5)) == 0
    )  # maybe still posting
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(minutes=20)) == 1
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(minutes=21)) == 0
    assert len(digest_posts(emulator)) == 1
    with sessions() as session:
        assert session.scalars(select(Digest.state)).one() == "posted"


def test_a_digest_slack_keeps_answering_5xx_is_tried_on_every_pass_until_it_goes_through(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    portfolio(sessions)
    clock = SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
    emulator.fail_next("chat.postMessage", status=502, count=5)
    for minute in range(5):
        assert post_due_digests(sessions, clock, now=DIGEST_AT + timedelta(minutes=minute)) == 0
    assert post_due_digests(sessions, clock, now=DIGEST_AT + timedelta(minutes=5)) == 1
    assert len(emulator.messages(DESK)) == 1


def test_a_weekly_digest_more_than_two_days_late_is_left_for_the_next_week(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    portfolio(sessions)
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(days=2, minutes=1)) == 0
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(weeks=1)) == 1


def test_the_csm_posts_an_accounts_digest_now_and_others_may_not(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    created = run(web, emulator, ADD_ACME + f" digest:<#{DESK}|csm-desk>")
    assert f"escalations in <#C0ESCAL>, digest in <#{DESK}>." in created
    reply = run(web, emulator, "digest Acme")
    assert reply == f"Digest posted to <#{DESK}> (1 account)."
    post = digest_posts(emulator)[0]
    assert post["blocks"][0]["text"]["text"] == "Accountability digest — Acme"
    assert "Customer no check-ins · Vendor no check-ins" in section_text(post)
    with sessions() as session:
        digest = session.scalars(select(Digest)).one()
    assert (digest.kind, digest.requested_by, digest.period_end - digest.period_start) == (
        "requested",
        CSM,
        timedelta(days=7),
    )
    refused = run(web, emulator, "digest Acme", user_id=OUTSIDER_VENDOR)
    assert refused.startswith("Only <@U0CSM>, the CSM of Acme, or an accountability admin")
    assert len(digest_posts(emulator)) == 1


def test_an_account_with_nowhere_to_report_is_told_how_to_set_a_channel(
    web: RunningApp, emulator: SlackEmulator
) -> None:
    run(web, emulator, ADD_ACME)
    reply = run(web, emulator, "digest")
    assert reply.startswith("Acme has no digest channel. Set one for the account with")
    assert "`/accountability digest channel #channel` (admins)" in reply
    assert digest_posts(emulator) == []


def test_the_workspace_default_channel_schedule_and_chart_are_set_by_an_admin(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    refused = run(web, emulator, f"digest channel <#{DESK}|csm-desk>")
    assert refused.startswith("Only accountability admins change the workspace's digest settings")
    assert run(web, emulator, f"digest channel <#{DESK}|csm-desk>", user_id=ADMIN) == (
        f"Digest settings updated: Mondays at 09:00 (UTC), with the chart; workspace default: <#{DESK}>"
    )
    assert run(web, emulator, "digest at fri 17:00 Europe/Berlin", user_id=ADMIN).startswith(
        "Digest settings updated: Fridays at 17:00 (Europe/Berlin)"
    )
    assert "without the chart" in run(web, emulator, "digest chart off", user_id=ADMIN)
    assert run(web, emulator, "digest settings").startswith(
        "*Digest settings*\nFridays at 17:00 (Europe/Berlin)"
    )

    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 17:00 in Berlin (UTC+1 in winter)
    assert post_due_digests(sessions, gateway, now=friday - timedelta(minutes=1)) == 0
    assert post_due_digests(sessions, gateway, now=friday) == 1
    assert digest_posts(emulator)[0]["blocks"][0]["text"]["text"] == "Weekly accountability digest"
    assert emulator.uploaded_files() == []  # chart off, and two accounts need no table


def test_digest_settings_typed_wrong_get_the_right_form_and_change_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    for text, problem in (
        ("digest at blursday 09:00", "“blursday” is not a day of the week."),
        ("digest at monday 25:00", "“25:00” is not a time of day."),
        ("digest at monday 09:00 Mars/Olympus", "“Mars/Olympus” is not a time zone."),
        ("digest chart maybe", "Say `digest chart on` or `digest chart off`."),
        ("digest channel general", "digest channel must"),
    ):
        reply = run(web, emulator, text, user_id=ADMIN)
        assert problem in reply, reply
        assert "digest at <day> <HH:MM> [<time zone>]" in reply, reply
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WorkspaceSettings)) == 0


def test_a_500_account_digest_stays_within_slacks_limits_with_the_full_table_in_the_thread(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    with sessions.begin() as session:
        accounts = [
            Account(
                team_id=VENDOR_TEAM,
                name=f"{i:03d} " + "Very Long Customer Name Incorporated " * 2,
                name_key=f"account {i}",
                shared_channel_id="C0SHARED",
                escalation_channel_id="C0ESCAL",
                digest_channel_id=DESK,
                csm_user_id=CSM,
                champion_user_id="U0CHAMP",
                at_risk=i % 3 == 0,
                created_by=CSM,
                created_at=CREATED,
            )
            for i in range(500)
        ]
        session.add_all(accounts)
        session.flush()
        session.add_all(
            Escalation(
                team_id=VENDOR_TEAM,
                account_id=a.id,
                side=Side.CUSTOMER,
                kind="champion_unresponsive",
                episode_key="account:champion_unresponsive",
                state=EscalationState.OPEN,
                opened_at=DIGEST_AT - timedelta(days=2),
            )
            for a in accounts
        )
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1  # the emulator checks Slack's limits
    post = digest_posts(emulator)[0]
    assert len(post["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in post["blocks"] if b["type"] == "section")
    assert len(post["text"]) <= 4000
    assert "…and 485 more accounts: the full table is in the CSV in the thread." in section_text(post)
    assert "…and 492 more." in section_text(post)
    table = next(f for f in emulator.uploaded_files() if f["filename"].endswith(".csv"))
    assert table["thread_ts"] == emulator.messages(DESK)[0]["ts"]
    rows = list(csv.reader(io.StringIO(table["content"].decode())))
    assert len(rows) == 501 and rows[0][0] == "account"
    assert sum(1 for r in rows[1:] if r[2] == "yes") == 167


def test_list_shows_each_sides_kept_rate_by_the_same_definitions(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    portfolio(sessions)
    clock.now = DIGEST_AT
    # Twelve weeks of Done, no response, Partly (half) on the customer side; Done throughout for the vendor.
    assert "Last 12 weeks: customer side kept 6 of 12 (50 %) · vendor side kept 12 of 12 (100 %)" in run(
        web, emulator, "list Acme"
    )


def posted_escalation(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, account_id: int, kind: str
) -> str:
    """An open episode whose post is really in the escalation channel; its ts."""
    episode_id = open_escalation(sessions, account_id=account_id, opened_at=NEWEST, kind=kind)
    posted = gateway.post_message("C0ESCAL", text=f"{kind} episode")
    with sessions.begin() as session:
        episode = session.get_one(Escalation, episode_id)
        episode.channel_id, episode.message_ts, episode.post_pending = posted.channel, posted.ts, False
    return posted.ts


def test_each_open_escalation_in_the_digest_links_to_its_post(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    acme, _ = portfolio(sessions)
    ts = posted_escalation(sessions, gateway, account_id=acme, kind="customer_slip")
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1
    [call] = emulator.calls_to("chat.getPermalink")
    assert (call.params["channel"], call.params["message_ts"]) == ("C0ESCAL", ts)
    link = f"https://emulated.slack.com/archives/C0ESCAL/p{ts.replace('.', '')}"
    assert f"• Acme — <{link}|Customer commitment slipping>" in section_text(digest_posts(emulator)[0])


def test_an_escalation_whose_post_is_gone_is_listed_without_a_link_and_the_failure_logged(
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    gateway: SlackGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    acme, globex = portfolio(sessions)
    gone = posted_escalation(sessions, gateway, account_id=acme, kind="customer_slip")
    kept = posted_escalation(sessions, gateway, account_id=globex, kind="champion_unresponsive")
    gateway.client.chat_delete(channel="C0ESCAL", ts=gone)  # someone deleted the post in Slack
    with caplog.at_level(logging.WARNING, logger="bot.digest.posting"):
        assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1
    text = section_text(digest_posts(emulator)[0])
    assert "• Acme — Customer commitment slipping, " in text
    assert f"/p{kept.replace('.', '')}|" in text
    assert any(
        "no link to the escalation post" in r.getMessage() and "message_not_found" in r.getMessage()
        for r in caplog.records
    )
