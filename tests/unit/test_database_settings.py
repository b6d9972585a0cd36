"""How the processes size their database connections and bound their statements, from the environment."""

from __future__ import annotations

import pytest

from bot.checkins.sending import SENDERS
from bot.settings import DEFAULT_STATEMENT_TIMEOUT_MS, Settings


def test_pool_defaults_to_one_connection_per_web_thread_and_per_clock_sending_thread() -> None:
    settings = Settings.from_env({"WEB_THREADS": "12"})
    assert settings.pool_size("web") == 13
    assert settings.pool_size("clock") == SENDERS + 1
    assert Settings.from_env({}).pool_size("web") == 9  # the Procfile's eight threads, plus one


def test_database_pool_size_overrides_the_derived_size_for_every_process() -> None:
    settings = Settings.from_env({"DATABASE_POOL_SIZE": "4", "DATABASE_STATEMENT_TIMEOUT_MS": "2500"})
    assert settings.engine_options("web") == {"pool_size": 4, "statement_timeout_ms": 2500}
    assert settings.engine_options("clock") == {"pool_size": 4, "statement_timeout_ms": 2500}
    assert Settings.from_env({}).statement_timeout_ms == DEFAULT_STATEMENT_TIMEOUT_MS


@pytest.mark.parametrize("name", ["DATABASE_POOL_SIZE", "DATABASE_STATEMENT_TIMEOUT_MS", "WEB_THREADS"])
@pytest.mark.parametrize("value", ["ten", "0", "-3"])
def test_a_size_that_is_not_a_positive_whole_number_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be a whole number above 0, e.g. {name}="):
        Settings.from_env({name: value})


def test_workspace_tokens_are_read_as_team_id_token_pairs() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKENS": "T0A=xoxb-a, T0B=xoxb-b"})
    assert settings.team_tokens == {"T0A": "xoxb-a", "T0B": "xoxb-b"}
    with pytest.raises(ValueError, match="SLACK_BOT_TOKENS takes TEAM_ID=token pairs"):
        Settings.from_env({"SLACK_BOT_TOKENS": "xoxb-no-team"})
