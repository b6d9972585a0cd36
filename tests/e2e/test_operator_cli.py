"""`python -m bot export` and `python -m bot import`, run as an operator would, against the real database."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.diary import entries as diary
from models import Account, Commitment, Person, Side
from slack_emulator import SlackEmulator
from tests.factories import make_account


def cli(
    repo_root: Path, database_url: str, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_writes_the_diary_as_csv_and_json_with_the_scorecard(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    account_id = make_account(sessions, now=datetime(2026, 11, 23, tzinfo=UTC))
    with sessions.begin() as session:
        diary.record(session, account=session.get_one(Account, account_id), kind="note", text="a, \"quoted\" note",
                     at=datetime(2026, 11, 24, tzinfo=UTC), actor_user_id="U0CSM")  # fmt: skip
    done = cli(repo_root, database_url, "export", "--account", "acme")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(done.stdout.removeprefix("\ufeff"))))
    assert [r["kind"] for r in rows] == ["account_created", "note"]
    assert rows[1]["text"] == 'a, "quoted" note'

    target = tmp_path / "acme.json"
    done = cli(
        repo_root, database_url, "export", "--account", "Acme", "--format", "json", "--output", str(target)
    )
    assert done.returncode == 0 and done.stdout == ""
    data = json.loads(target.read_text())
    assert data["account"] == "Acme" and len(data["diary"]) == 2
    empty = {"kept": 0, "total": 0, "renegotiated": 0}
    assert data["scorecard"] == {"customer": empty, "vendor": empty}


def test_export_names_people_and_gives_plain_text_numbered_as_the_diary_numbers_its_entries(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    account_id = make_account(sessions, now=datetime(2026, 11, 23, tzinfo=UTC))
    with sessions.begin() as session:
        account = session.get_one(Account, account_id)
        session.add(
            Person(team_id=account.team_id, user_id="U0CSM", side=Side.VENDOR, display_name="Casey Ng")
        )
        entry = diary.record(session, account=account, kind="note", at=at, actor_user_id="U0CSM",
                             text="Note from <@U0CSM>: R&amp;D said &lt;soon&gt; to <@U0NOBODY> in <#C0SHARED|acme>")  # fmt: skip
        assert entry is not None
        number = entry.id
    target = tmp_path / "acme.csv"
    done = cli(repo_root, database_url, "export", "--account", "Acme", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # a UTF-8 byte order mark for spreadsheets
    with target.open(encoding="utf-8-sig", newline="") as handle:
        [note] = [row for row in csv.DictReader(handle) if row["kind"] == "note"]
    assert (note["entry"], note["actor"], note["actor_user_id"]) == (str(number), "Casey Ng", "U0CSM")
    assert note["text"] == "Note from @Casey Ng: R&D said <soon> to @U0NOBODY in #acme"


def test_export_of_an_unknown_account_says_so(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    done = cli(repo_root, database_url, "export", "--account", "Nowhere")
    assert done.returncode == 2 and "no account called 'Nowhere' in the database" in done.stderr
    assert len(done.stderr.splitlines()) == 1


HEADER = "account,channel,escalations,champion,csm,manager,digest,outcome,holidays,side,owner,action,schedule,time\n"
GOOD = HEADER + (
    'Acme,C0SHARED,C0ESCAL,U0CHAMP,U0CSM,,,"Every team live by March",US,customer,U0CHAMP,Send the usage report,every monday,10:00\n'
    "Acme,,,,,,,,,vendor,U0ENG,Ship the import fix,by 2026-12-18,\n"
    "Beta,C0BETA,C0BETAESC,U0OTHER,U0SALES,,,,,,,,,\n"
)
BAD = HEADER + (
    "Acme,C0SHARED,C0SHARED,U0CHAMP,U0CSM,,,,,customer,U0CHAMP,Send it,every monday,\n"
    "Beta,#general,C0ESCAL,U0CHAMP,U0CSM,,,,,,,,,\n"
    "Gamma,C0G,C0GE,U0CHAMP,U0CSM,,,,XX,,,,,\n"
    "Delta,C0D,C0DE,U0CHAMP,U0CSM,,,,,partner,U0CHAMP,Send it,every blursday,25:00\n"
    "Epsilon,C0E,C0EE,U0CHAMP,,,,,,,,,,\n"
)


def slack_env(emulator: SlackEmulator) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": emulator.api_url}


def counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            len(session.scalars(select(Account.id)).all()),
            len(session.scalars(select(Commitment.id)).all()),
        )


def test_import_rejects_a_csv_with_bad_rows_naming_each_line_and_writes_nothing(
    repo_root: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    tmp_path: Path,
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(BAD)
    done = cli(repo_root, database_url, "import", str(source), extra_env=slack_env(emulator))
    assert done.returncode == 1
    for expected in (
        "line 2: channel and escalations must be different",
        "line 3: channel: “#general” is not a channel ID; give one such as C0123ABCD",
        "line 4: holidays: “XX” is not a known country code; give one such as US",
        # Every problem of a row, not only its first.
        "line 5: side must be customer or vendor",
        "line 5: time: “25:00” is not a time of day",
        "line 5: schedule: “blursday” is not a day of the week",
        "line 6: csm is empty",
        "7 problems; nothing was written",
    ):
        assert expected in done.stderr, done.stderr
    assert "<#" not in done.stderr and "/accountability" not in done.stderr  # advice for a CSV, not a command
    assert counts(sessions) == (0, 0)


def test_import_says_once_that_rows_were_skipped_for_their_accounts_bad_first_row(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(
        HEADER
        + "Acme,C0SHARED,C0SHARED,U0CHAMP,,,,,,customer,U0CHAMP,Send it,every monday,\n"
        + "Acme,,,,,,,,,vendor,U0ENG,Ship it,by 2026-12-18,\n"
        + "Acme,,,,,,,,,vendor,U0ENG,Ship more,by 2026-12-19,\n"
        + "Beta,C0BETA,C0BETAESC,U0OTHER,U0SALES,,,,,,,,,\n"
    )
    done = cli(repo_root, database_url, "import", str(source), "--dry-run", "--team", "T0VENDOR")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines == [
        "line 2: csm is empty; the first row of an account needs channel, escalations, champion and csm",
        "line 2: channel and escalations must be different channels",
        "lines 3, 4: not checked, as the first row of that account (line 2) has problems",
        "import: 2 problems; nothing was written",
    ], done.stderr


def test_import_names_the_line_of_an_unclosed_quote_and_counts_one_problem(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(
        HEADER
        + "Beta,C0BETA,C0BETAESC,U0OTHER,U0SALES,,,,,,,,,\n"
        + 'Acme,C0SHARED,C0ESCAL,U0CHAMP,U0CSM,,,"Every team live,US,,,,,\n'
        + "Gamma,C0G,C0GE,U0CHAMP,U0CSM,,,,,,,,,\n"
    )
    done = cli(repo_root, database_url, "import", str(source), "--dry-run", "--team", "T0VENDOR")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "line 3: a quote opened on this line is never closed; close it or remove it",
        "import: 1 problem; nothing was written",
    ], done.stderr


def test_import_dry_run_checks_a_good_csv_without_writing(
    repo_root: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    tmp_path: Path,
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(GOOD)
    done = cli(repo_root, database_url, "import", str(source), "--dry-run", "--team", "T0VENDOR")
    assert done.returncode == 0, done.stderr
    assert "would import 2 accounts and 2 commitments" in done.stdout
    assert counts(sessions) == (0, 0)


def test_import_dry_run_needs_no_slack_and_changes_not_even_the_schema(
    repo_root: Path, tmp_path: Path
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(HEADER + "Beta,C0BETA,C0BETAESC,U0OTHER,U0SALES,,,,,,,,,\n")
    database = tmp_path / "new.db"
    done = cli(
        repo_root,
        f"sqlite:///{database}",
        "import",
        str(source),
        "--dry-run",
        "--team",
        "T0VENDOR",
        extra_env={"SLACK_BOT_TOKEN": "", "SLACK_API_URL": "http://127.0.0.1:9/api/"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "dry run: would import 1 account and 0 commitments\n"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_import_creates_the_accounts_and_commitments(
    repo_root: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    tmp_path: Path,
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(GOOD)
    done = cli(repo_root, database_url, "import", str(source), extra_env=slack_env(emulator))
    assert done.returncode == 0, done.stderr
    assert "imported 2 accounts and 2 commitments" in done.stdout
    with sessions() as session:
        acme = session.scalars(select(Account).where(Account.name == "Acme")).one()
        assert (acme.team_id, acme.csm_user_id, acme.holiday_country) == ("T0VENDOR", "U0CSM", "US")
        owners = {(c.side.value, c.owner.user_id, c.owner.tz) for c in acme.commitments}
        assert owners == {("customer", "U0CHAMP", "Europe/London"), ("vendor", "U0ENG", "Asia/Tokyo")}
    # Importing the same file again finds the accounts already there and writes nothing more.
    again = cli(repo_root, database_url, "import", str(source), extra_env=slack_env(emulator))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert counts(sessions) == (2, 2)


def test_upgrade_says_which_migrations_it_applied_then_that_there_was_nothing_to_apply(
    repo_root: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    command = [sys.executable, "-m", "models", "upgrade"]
    first = subprocess.run(command, cwd=repo_root, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "new.db: applied 0001, 0002," in first.stdout
    head = first.stdout.rsplit("now at ", 1)[1].strip()
    again = subprocess.run(command, cwd=repo_root, env=env, capture_output=True, text=True, timeout=120)
    assert again.stdout.endswith(f"new.db: already at {head}; nothing to apply\n"), again.stdout


def test_tick_with_nothing_due_names_the_database_it_looked_in(
    repo_root: Path, tmp_path: Path, emulator: SlackEmulator
) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    env = {**os.environ, "DATABASE_URL": database, **slack_env(emulator)}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "tick"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"nothing was due in the database {database}\n"), done.stdout
