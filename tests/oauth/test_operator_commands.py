"""Operator commands in OAuth mode act for the one installation `--team` names, with its own token."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.__main__ import main
from models import Account
from tests.oauth.conftest import (
    ALPHA,
    BETA,
    CLIENT_ID,
    CLIENT_SECRET,
    ESCALATIONS,
    KEY,
    MARKER,
    PEOPLE,
    STATE_SECRET,
    Workspaces,
)


@pytest.fixture
def operator_env(workspaces: Workspaces, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Workspaces:
    for name, value in {
        "DATABASE_URL": database_url,
        "SLACK_API_URL": workspaces.emulator.api_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_STATE_SECRET": STATE_SECRET,
        "ACCOUNTABILITY_ENCRYPTION_KEY": KEY,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return workspaces


@pytest.mark.parametrize("team_id", [ALPHA, BETA])
def test_export_reads_only_the_named_workspaces_account(
    operator_env: Workspaces, team_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--account", "Acme", "--team", team_id]) == 0

    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    texts = " ".join(row["text"] for row in rows)
    other = BETA if team_id == ALPHA else ALPHA
    assert MARKER[team_id] in texts and MARKER[other] not in texts


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["export", "--account", "Acme"], "give --team"),
        (["export", "--account", "Acme", "--team", "T0NOBODY"], "no installation 'T0NOBODY'"),
    ],
)
def test_export_without_a_known_team_says_so(
    operator_env: Workspaces, arguments: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(arguments) == 2
    assert problem in capsys.readouterr().err


def test_import_writes_into_the_named_workspace_with_its_token(
    operator_env: Workspaces, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csm, champion, desk = PEOPLE[BETA]
    source = tmp_path / "accounts.csv"
    source.write_text(
        "account,channel,escalations,champion,csm,manager,digest,outcome,holidays,side,owner,action,schedule,time\n"
        f'Globex,{desk},{ESCALATIONS[BETA]},{champion},{csm},,,,,customer,{champion},"Send the report",every monday,10:00\n'
    )
    start = len(operator_env.emulator.calls)

    assert main(["import", str(source), "--team", BETA]) == 0, capsys.readouterr().err

    with operator_env.sessions() as session:
        assert session.scalars(select(Account.team_id).where(Account.name == "Globex")).all() == [BETA]
    assert all(operator_env.team_of_call(c) == BETA for c in operator_env.calls_since(start))
