"""Every malformed command, sent as Slack sends it, gets its clear ephemeral answer and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import models
from slack_emulator import SlackEmulator
from tests.conftest import CSM, RunningApp
from tests.flows import ADD_ACME, run
from tests.unit.commands.test_command_parser import MALFORMED

# Refused after parsing, by the rules of the domain (the account exists for these).
REFUSED = [
    ('commit Nowhere vendor <@U0ENG> "x" every monday', "There is no account called “Nowhere”"),
    ("agreement Nowhere", "There is no account called “Nowhere”"),
    ("list Nowhere", "There is no account called “Nowhere”"),
    ("pause Nowhere", "There is no account called “Nowhere”"),
    ("pause #99999", "There is no commitment #99999"),
    ("done 99999", "There is no commitment #99999"),
    ("cancel #99999", "There is no commitment #99999"),
    ("resume #99999", "There is no commitment #99999"),
    ("account edit Nowhere outcome:x", "There is no account called “Nowhere”"),
    (ADD_ACME, "already exists"),
    ("account add Beta channel:<#C0SHARED> escalations:<#C0SHARED> champion:<@U0CHAMP>", "must differ"),
    ('commit Acme vendor <@U0GHOST> "x" every monday', "can't find <@U0GHOST>"),
    ('commit Acme vendor <@U0CHAMP> "x" every monday', "customer's organisation"),
]


def row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in models.Base.metadata.sorted_tables
            if table.name not in ("people", "processed_events")
        }


@pytest.mark.parametrize(("text", "expected"), MALFORMED, ids=[t[:40] for t, _ in MALFORMED])
def test_malformed_command_is_refused_in_the_ack_without_a_write(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], text: str, expected: str
) -> None:
    before = row_counts(sessions)
    result = web.slack.command(text, user_id=CSM)
    assert result.status == 200
    body = result.json()
    assert body["response_type"] == "ephemeral"
    assert expected in body["text"]
    assert row_counts(sessions) == before
    assert emulator.calls_to("users.info") == []  # refused before any lookup


@pytest.mark.parametrize(("text", "expected"), REFUSED, ids=[t[:40] for t, _ in REFUSED])
def test_command_refused_by_the_rules_writes_nothing(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], text: str, expected: str
) -> None:
    run(web, emulator, ADD_ACME)
    before = row_counts(sessions)
    reply = run(web, emulator, text)
    assert expected in reply
    assert row_counts(sessions) == before
