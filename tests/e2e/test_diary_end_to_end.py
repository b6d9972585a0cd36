"""Reading the diary: pages with Next / Previous, CSV export, and who may see which account."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.diary import entries as diary
from bot.slack.gateway import SlackGateway
from models import Account, DiaryEntry, DiaryShare, DiaryThread, DiaryToShare
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, CSM, ENGINEER, OUTSIDER_VENDOR, RunningApp
from tests.flows import ADD_ACME, buttons, run

ADD_BETA = "account add Beta channel:<#C0BETA> escalations:<#C0BETAESC> champion:<@U0OTHER> csm:<@U0SALES>"


def write_entries(sessions: sessionmaker[Session], name: str, count: int, *, private_every: int = 0) -> None:
    with sessions.begin() as session:
        account = session.query(Account).filter_by(name=name).one()
        for n in range(count):
            diary.record(
                session,
                account=account,
                kind="note",
                text=f"entry {n:02d} of {name}",
                at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n),
                actor_user_id=CSM,
                private=bool(private_every) and n % private_every == 0,
            )


def test_diary_is_paged_newest_first_with_next_and_previous(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    write_entries(sessions, "Acme", 24)  # plus the account_created entry: 25
    web.slack.command("diary Acme", user_id=CSM)
    first = emulator.wait_for("response_url", count=2)[1].params
    # Newest first: the account's creation, then entries 23 down to 15.
    assert "Account created" in first["text"] and "entry 15 of Acme" in first["text"]
    assert "entry 14 of Acme" not in first["text"]
    assert "Page 1 of 3" in str(first["blocks"])
    assert set(buttons(first["blocks"])) == {"diary_page_next"}

    web.slack.click(action_id="diary_page_next", value=buttons(first["blocks"])["diary_page_next"],
                    user_id=CSM, channel_id="C0CSMDESK", message_ts=None)  # fmt: skip
    second = emulator.wait_for("response_url", count=3)[2].params
    assert second["replace_original"] is True
    assert "entry 14 of Acme" in second["text"] and "entry 05 of Acme" in second["text"]
    assert "entry 15 of Acme" not in second["text"] and "Page 2 of 3" in str(second["blocks"])
    assert set(buttons(second["blocks"])) == {"diary_page_prev", "diary_page_next"}


def test_diary_since_a_date_shows_only_later_entries(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    write_entries(sessions, "Acme", 30)  # hourly from 1 Nov 00:00 to 2 Nov 05:00
    text = run(web, emulator, "diary Acme since 2026-11-02")
    assert "entry 29 of Acme" in text and "entry 24 of Acme" in text and "entry 23 of Acme" not in text


def test_export_uploads_the_whole_diary_as_csv_to_the_requesters_dm(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    write_entries(sessions, "Acme", 3, private_every=2)
    reply = run(web, emulator, "export Acme")
    assert "Exported 4 diary entries of Acme as acme-diary.csv" in reply
    [upload] = emulator.uploaded_files()
    assert upload["channel_id"] == emulator.dm_channel(CSM) and upload["filename"] == "acme-diary.csv"
    content = upload["content"].decode()
    assert content.startswith("\ufeff")  # the byte order mark spreadsheet programs need for UTF-8
    rows = list(csv.DictReader(io.StringIO(content.removeprefix("\ufeff"))))
    assert [r["kind"] for r in rows] == ["note", "note", "note", "account_created"]
    assert {r["text"] for r in rows} >= {"entry 00 of Acme", "entry 01 of Acme", "entry 02 of Acme"}
    assert [r["private"] for r in rows if r["text"] == "entry 00 of Acme"] == ["yes"]
    assert list(rows[0]) == [
        "entry", "occurred_at_utc", "account", "kind", "side", "actor", "actor_user_id",
        "commitment_id", "checkin_id", "private", "corrects_entry", "text",
    ]  # fmt: skip
    with sessions() as session:  # each row carries the number the diary shows its entry under (#N)
        numbers = set(session.scalars(select(DiaryEntry.id)))
    assert sorted(int(r["entry"]) for r in rows) == sorted(numbers)


def test_no_one_reads_another_accounts_diary(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_channel("C0BETA", name="beta-shared", is_ext_shared=True)
    emulator.add_channel("C0BETAESC", name="beta-escalations", members=[CSM, OUTSIDER_VENDOR])
    run(web, emulator, ADD_ACME)
    run(web, emulator, ADD_BETA)
    write_entries(sessions, "Acme", 2)
    write_entries(sessions, "Beta", 2)
    # Beta's CSM is not on Acme, and the reverse.
    for who, account in ((OUTSIDER_VENDOR, "Acme"), (CSM, "Beta"), (ENGINEER, "Acme")):
        assert "Only the people on" in run(web, emulator, f"diary {account}", user_id=who)
        assert "Only the people on" in run(web, emulator, f"export {account}", user_id=who)
    assert emulator.uploaded_files() == []
    assert "entry 01 of Beta" in run(web, emulator, "diary Beta", user_id=OUTSIDER_VENDOR)
    assert "entry 01 of Acme" in run(web, emulator, "diary Acme", user_id=ADMIN)
    # A page-turn button carried to someone else is checked again.
    write_entries(sessions, "Acme", 12)
    web.slack.command("diary Acme", user_id=CSM)
    page = emulator.wait_for("response_url", where=lambda c: "Page 1 of 2" in str(c.params.get("blocks")))[0]
    before = len(emulator.calls_to("response_url"))
    web.slack.click(action_id="diary_page_next", value=buttons(page.params["blocks"])["diary_page_next"],
                    user_id=OUTSIDER_VENDOR, channel_id="C0CSMDESK", message_ts=None)  # fmt: skip
    turned = emulator.wait_for("response_url", count=before + 1)[before].params
    assert "Only the people on" in turned["text"] and "entry" not in turned["text"]


def shared_posts(emulator: SlackEmulator) -> list[dict[str, object]]:
    return [c.params for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == "C0SHARED"]


def test_entries_appear_in_one_shared_thread_per_week_once_and_private_notes_stay_out(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    with sessions.begin() as session:
        account = session.query(Account).filter_by(name="Acme").one()
        for when, text, private in (
            (datetime(2026, 12, 8, 10, tzinfo=UTC), "Done — weekly report", False),
            (datetime(2026, 12, 9, 10, tzinfo=UTC), "vendor-only remark", True),
            (datetime(2026, 12, 10, 10, tzinfo=UTC), "Not yet — rota", False),
            (datetime(2026, 12, 15, 10, tzinfo=UTC), "Done — next week", False),
        ):
            diary.record(
                session, account=account, kind="note", text=text, at=when, actor_user_id=CSM, private=private
            )
    run_due_work(sessions, gateway, now=datetime(2026, 12, 15, 12, tzinfo=UTC))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 15, 12, 1, tzinfo=UTC))
    posts = shared_posts(emulator)
    parents = [p for p in posts if "thread_ts" not in p]
    assert [p["text"] for p in parents] == [
        "Accountability diary — week of 23 Nov",  # the account's creation
        "Accountability diary — week of 7 Dec",
        "Accountability diary — week of 14 Dec",
    ]
    replies = [str(p["text"]) for p in posts if "thread_ts" in p]
    assert len(replies) == 4  # created, two shared notes that week, one the next; nothing twice
    assert not any("vendor-only remark" in r for r in replies)
    threads = {str(p["thread_ts"]) for p in posts if "thread_ts" in p}
    assert len(threads) == 3


def test_the_clock_reads_only_entries_still_to_share_and_private_notes_are_never_listed(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    write_entries(sessions, "Acme", 4, private_every=2)  # entries 00 and 02 are private
    with sessions() as session:
        listed = {e.text for e in session.scalars(
            select(DiaryEntry).join(DiaryToShare, DiaryToShare.entry_id == DiaryEntry.id)
        )}  # fmt: skip
    assert {"entry 01 of Acme", "entry 03 of Acme"} <= listed
    assert not listed & {"entry 00 of Acme", "entry 02 of Acme"}

    run_due_work(sessions, gateway, now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    with sessions() as session:
        assert session.scalars(select(DiaryToShare)).all() == []  # each copy posted clears its entry
    replies = [str(p["text"]) for p in shared_posts(emulator) if "thread_ts" in p]
    assert sum("of Acme" in r for r in replies) == 2


def test_an_entry_whose_copy_a_dead_clock_claimed_is_shared_once_its_lease_runs_out(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 12, tzinfo=UTC))  # the creation entry shared
    with sessions.begin() as session:
        account = session.query(Account).filter_by(name="Acme").one()
        entry = diary.record(
            session,
            account=account,
            kind="note",
            text="Kick-off held",
            at=datetime(2026, 12, 8, 10, tzinfo=UTC),
            actor_user_id=CSM,
        )
        assert entry is not None
        thread = session.scalars(select(DiaryThread).where(DiaryThread.account_id == account.id)).first()
        assert thread is not None
        # A clock claimed the copy, then was killed before Slack answered.
        session.add(DiaryShare(entry_id=entry.id, team_id=account.team_id, thread_id=thread.id,
                               claimed_at=datetime(2026, 12, 8, 10, 1, tzinfo=UTC)))  # fmt: skip

    run_due_work(sessions, gateway, now=datetime(2026, 12, 8, 10, 5, tzinfo=UTC))
    assert not any(
        "Kick-off held" in str(p["text"]) for p in shared_posts(emulator)
    )  # still within its lease

    run_due_work(sessions, gateway, now=datetime(2026, 12, 8, 10, 12, tzinfo=UTC))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 8, 10, 13, tzinfo=UTC))
    copies = [p for p in shared_posts(emulator) if "Kick-off held" in str(p["text"])]
    assert len(copies) == 1 and "thread_ts" in copies[0]
    with sessions() as session:
        assert session.get_one(DiaryShare, entry.id).message_ts is not None


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    write_entries(sessions, "Acme", 1)
    with sessions() as session:
        original = session.query(DiaryEntry).filter_by(kind="note").one()
    reply = run(web, emulator, f'correct #{original.id} "It was the March report, not February\'s"')
    assert f"to entry #{original.id}" in reply
    assert "Only <@U0CSM>" in run(web, emulator, f'correct #{original.id} "x"', user_id=OUTSIDER_VENDOR)
    with sessions() as session:
        unchanged = session.get_one(DiaryEntry, original.id)
        assert unchanged.text == original.text
        correction = session.query(DiaryEntry).filter_by(kind="correction").one()
        assert correction.corrects_id == original.id and "March report" in correction.text
    assert f"(corrects #{original.id})" in run(web, emulator, "diary Acme")
