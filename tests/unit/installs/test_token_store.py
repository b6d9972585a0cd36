"""Installations are stored with slack_sdk's SQLAlchemy store in the product's tables, tokens encrypted."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.__main__ import main
from bot.installs.encryption import EncryptionKeyError, TokenCipher
from bot.installs.store import installation_store, rotate_key, state_store
from bot.settings import Settings
from models.installations import slack_bots, slack_installations

BOT_TOKEN = "xoxb-1111-2222-plainbottoken"
USER_TOKEN = "xoxp-1111-2222-plainusertoken"


def installation(team_id: str = "T0ONE", **extra: Any) -> Installation:
    return Installation(
        app_id="A0APP",
        team_id=team_id,
        team_name="One",
        bot_token=BOT_TOKEN,
        bot_id="B0ONE",
        bot_user_id="U0BOTONE",
        bot_scopes="commands,chat:write",
        user_id="U0INSTALLER",
        user_token=USER_TOKEN,
        installed_at=datetime.now(UTC).timestamp(),
        **extra,
    )


def raw_dump(engine: Engine) -> str:
    with engine.connect() as connection:
        rows = [*connection.execute(select(slack_installations)), *connection.execute(select(slack_bots))]
    return repr(rows)


def test_tokens_are_ciphertext_at_rest_and_plain_when_found(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store = installation_store(
        engine, client_id="111.222", cipher=TokenCipher(Fernet.generate_key().decode())
    )
    store.save(installation(bot_refresh_token="xoxe-1-refresh", bot_token_expires_in=43200))

    dump = raw_dump(engine)
    assert BOT_TOKEN not in dump and USER_TOKEN not in dump and "xoxe-1-refresh" not in dump
    bot = store.find_bot(enterprise_id=None, team_id="T0ONE")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == "xoxe-1-refresh"
    found = store.find_installation(enterprise_id=None, team_id="T0ONE")
    assert found is not None and found.user_token == USER_TOKEN
    assert store.find_bot(enterprise_id=None, team_id="T0TWO") is None


def test_a_store_with_the_wrong_key_cannot_read_tokens(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    installation_store(engine, client_id="111.222", cipher=TokenCipher(Fernet.generate_key().decode())).save(
        installation()
    )
    stranger = installation_store(
        engine, client_id="111.222", cipher=TokenCipher(Fernet.generate_key().decode())
    )
    with pytest.raises(EncryptionKeyError, match="cannot be decrypted"):
        stranger.find_bot(enterprise_id=None, team_id="T0ONE")


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ("", "is not set"),
        ("not-a-key", "key 1 is not a Fernet key"),
        (f"{Fernet.generate_key().decode()},x", "key 2"),
    ],
)
def test_a_bad_key_is_named(keys: str, problem: str) -> None:
    with pytest.raises(EncryptionKeyError, match=problem):
        TokenCipher(keys)


def test_rotate_key_moves_every_token_to_the_first_key(
    engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    installation_store(engine, client_id="111.222", cipher=TokenCipher(old)).save(installation())

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ACCOUNTABILITY_ENCRYPTION_KEY", f"{new},{old}")
    assert main(["rotate-key"]) == 0

    only_new = installation_store(engine, client_id="111.222", cipher=TokenCipher(new))
    bot = only_new.find_bot(enterprise_id=None, team_id="T0ONE")
    assert bot is not None and bot.bot_token == BOT_TOKEN
    assert BOT_TOKEN not in raw_dump(engine)
    with pytest.raises(EncryptionKeyError):
        installation_store(engine, client_id="111.222", cipher=TokenCipher(old)).find_bot(
            enterprise_id=None, team_id="T0ONE"
        )


def test_rotate_key_without_a_key_changes_nothing(
    engine: Engine,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("ACCOUNTABILITY_ENCRYPTION_KEY", raising=False)
    assert main(["rotate-key"]) == 1
    assert "ACCOUNTABILITY_ENCRYPTION_KEY is not set" in capsys.readouterr().err
    assert rotate_key(engine, TokenCipher(Fernet.generate_key().decode())) == 0


def test_states_are_signed_and_used_once(engine: Engine, sessions: sessionmaker[Session]) -> None:
    states = state_store(engine, secret="state-secret")
    issued = states.issue()
    forged = issued.rpartition(".")[0] + ".0123456789abcdef0123456789abcdef"
    assert not states.consume(forged)
    assert not state_store(engine, secret="another-secret").consume(issued)
    assert states.consume(issued)
    assert not states.consume(issued)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM slack_oauth_states")).scalar() == 0


def test_oauth_mode_says_what_is_missing_in_one_line() -> None:
    assert Settings().oauth_problem() is None
    partial = Settings.from_env({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"})
    assert (
        partial.oauth_problem()
        == "OAuth mode needs SLACK_STATE_SECRET as well as SLACK_CLIENT_ID, SLACK_CLIENT_SECRET."
    )
    keyless = Settings.from_env(
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_STATE_SECRET": "x"}
    )
    problem = keyless.oauth_problem()
    assert problem is not None and "ACCOUNTABILITY_ENCRYPTION_KEY" in problem and "\n" not in problem


@pytest.mark.parametrize(
    ("argv", "code"),
    [(["-m", "scheduler", "tick"], 2), (["-c", "import app; app.wsgi_from_env()"], 1)],
    ids=["clock", "web"],
)
def test_without_a_key_the_processes_refuse_to_start_in_one_line(
    argv: list[str], code: int, tmp_path: Path, repo_root: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'refused.db'}",
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "secret",
        "SLACK_STATE_SECRET": "state",
        "SLACK_SIGNING_SECRET": "signing",
    }
    env.pop("ACCOUNTABILITY_ENCRYPTION_KEY", None)
    env.pop("SLACK_BOT_TOKEN", None)

    done = subprocess.run(
        [sys.executable, *argv], cwd=repo_root, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == code
    last = done.stderr.strip().splitlines()[-1]
    assert "set ACCOUNTABILITY_ENCRYPTION_KEY" in last and "Traceback" not in done.stderr
