"""`/accountability` over signed HTTP: who may do what, and bad input answered without a write."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Account, Commitment, DiaryEntry, Person
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, CHAMPION, CSM, ENGINEER, OUTSIDER_VENDOR, RunningApp

ACCOUNT_ADD = "account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP>"
COMMIT = 'commit Acme vendor <@U0ENG> "Ship the SSO fix" by 2026-12-15 at 17:00'


def rows(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def reply(web: RunningApp, emulator: SlackEmulator, text: str, *, user_id: str) -> str:
    before = len(emulator.calls_to("response_url"))
    assert web.slack.command(text, user_id=user_id).status == 200
    call = emulator.wait_for("response_url", count=before + 1)[before]
    assert call.params["response_type"] == "ephemeral"
    return str(call.params["text"])


def test_malformed_command_is_answered_in_the_ack_and_writes_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    result = web.slack.command("account add Acme channel:#general", user_id=CSM)
    assert result.status == 200
    body = result.json()
    assert body["response_type"] == "ephemeral"
    assert "Missing escalations:, champion:" in body["text"]
    assert "/accountability account add <Account>" in body["text"]
    assert rows(sessions, Account) == 0 and rows(sessions, Person) == 0
    assert emulator.calls_to("users.info") == []


def test_help_lists_the_commands(web: RunningApp, emulator: SlackEmulator) -> None:
    text = reply(web, emulator, "help", user_id=CHAMPION)
    assert "/accountability account add" in text and "/accountability commit" in text
    [call] = emulator.calls_to("response_url")
    headers = [b["text"]["text"] for b in call.params["blocks"] if b["type"] == "header"]
    assert headers[1:] == ["Accounts", "Commitments", "People", "Diary", "Escalations", "Digests"]
    assert call.params["blocks"][1]["text"]["text"].startswith("*For example*")


def test_help_for_one_subcommand_and_for_an_unknown_one(web: RunningApp, emulator: SlackEmulator) -> None:
    text = reply(web, emulator, "help pause", user_id=CSM)
    assert "/accountability pause <#commitment or Account> [until <date>]" in text
    assert "/accountability pause #12 until dec 15" in text
    text = reply(web, emulator, "help snooze", user_id=CSM)
    assert "There is no subcommand “snooze”" in text and "`pause`" in text


def test_vendor_user_who_is_not_the_csm_cannot_add_commitments(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    reply(web, emulator, ACCOUNT_ADD, user_id=CSM)
    text = reply(web, emulator, COMMIT, user_id=OUTSIDER_VENDOR)
    assert f"Only <@{CSM}>, the CSM of Acme, or an accountability admin" in text
    assert rows(sessions, Commitment) == 0


def test_admin_may_add_commitments_to_any_account(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    reply(web, emulator, ACCOUNT_ADD, user_id=CSM)
    text = reply(web, emulator, COMMIT, user_id=ADMIN)
    assert "Recorded #" in text
    assert "Tue 15 Dec 17:00" in text and "Asia/Tokyo" in text
    assert rows(sessions, Commitment) == 1


def test_customer_user_cannot_run_management_commands(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    text = reply(web, emulator, ACCOUNT_ADD, user_id=CHAMPION)
    assert "vendor's" in text
    assert rows(sessions, Account) == 0


def test_duplicate_account_name_is_refused_whatever_the_case(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    reply(web, emulator, ACCOUNT_ADD, user_id=CSM)
    text = reply(web, emulator, ACCOUNT_ADD.replace("Acme", "ACME"), user_id=CSM)
    assert "already exists" in text
    assert rows(sessions, Account) == 1


def test_commit_to_an_unknown_account_is_refused(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    text = reply(web, emulator, COMMIT, user_id=CSM)
    assert "There is no account called “Acme”" in text
    assert rows(sessions, Commitment) == 0 and rows(sessions, DiaryEntry) == 0


def test_owner_unknown_to_slack_is_refused(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    reply(web, emulator, ACCOUNT_ADD, user_id=CSM)
    text = reply(web, emulator, COMMIT.replace("U0ENG", "U0GHOST"), user_id=CSM)
    assert "can't find <@U0GHOST>" in text
    assert rows(sessions, Commitment) == 0


def test_customer_cannot_own_a_vendor_commitment(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    reply(web, emulator, ACCOUNT_ADD, user_id=CSM)
    text = reply(web, emulator, COMMIT.replace("U0ENG", CHAMPION), user_id=CSM)
    assert "customer's organisation" in text
    assert rows(sessions, Commitment) == 0


def test_slack_outage_during_a_command_is_answered_politely_and_writes_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.fail_next("users.info", status=500, count=10)
    text = reply(web, emulator, ACCOUNT_ADD, user_id=ENGINEER)
    assert "Slack did not answer as expected" in text and "nothing was changed" in text
    assert rows(sessions, Account) == 0
