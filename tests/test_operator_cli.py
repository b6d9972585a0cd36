"""`python -m bot export` and `python -m bot import`, run as an operator would, against the real database."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot import diary
from models import Account
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
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["kind"] for r in rows] == ["account_created", "note"]
    assert rows[1]["text"] == 'a, "quoted" note'

    target = tmp_path / "acme.json"
    done = cli(
        repo_root, database_url, "export", "--account", "Acme", "--format", "json", "--output", str(target)
    )
    assert done.returncode == 0 and done.stdout == ""
    data = json.loads(target.read_text())
    assert data["account"] == "Acme" and len(data["diary"]) == 2
    assert data["scorecard"] == {"customer": {"kept": 0, "total": 0}, "vendor": {"kept": 0, "total": 0}}


def test_export_of_an_unknown_account_says_so(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    done = cli(repo_root, database_url, "export", "--account", "Nowhere")
    assert done.returncode == 2 and "no account called 'Nowhere'" in done.stderr
