"""An operator's command that cannot do its job ends with one line on standard error naming the
problem and the fix, and exit status 2 (fix the command or the settings) or 1 (try again later):
never a traceback, unless `--debug` asks for one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from slack_emulator import SlackEmulator
from tests.factories import make_account

GOOD_CSV = (
    "account,channel,escalations,champion,csm,side,owner,action,schedule\n"
    "Acme,C0SHARED,C0ESCAL,U0CHAMP,U0CSM,customer,U0CHAMP,Send the usage report,every monday\n"
)


def run(
    repo_root: Path, module: str, *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", module, *args],
        cwd=repo_root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(done: subprocess.CompletedProcess[str], status: int, *words: str) -> str:
    """The failure said in exactly one line holding `words`, with the expected status and no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert done.returncode == status, (done.returncode, done.stderr)
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_url(database: str | None = None, *, port: int | None = None) -> str:
    """A real PostgreSQL URL: the test database's server (the machine's own when tests run on SQLite)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = os.environ.get("CI_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
    url = make_url(base)
    if database is not None:
        url = url.set(database=database)
    if port is not None:
        url = url.set(port=port)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}"}


# -- files -----------------------------------------------------------------------------------------


def test_import_of_a_missing_file_names_it(
    repo_root: Path, sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.csv"
    done = run(repo_root, "bot", "import", str(missing), "--team", "T0VENDOR", env=sqlite_env)
    one_line(done, 2, str(missing), "no such CSV file", "check the path")


def test_import_of_a_folder_says_to_give_a_file(
    repo_root: Path, sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    done = run(repo_root, "bot", "import", str(folder), "--team", "T0VENDOR", env=sqlite_env)
    one_line(done, 2, str(folder), "is a folder")


def test_import_of_a_file_that_is_not_utf8_says_how_to_save_it(
    repo_root: Path, sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    latin1 = tmp_path / "accounts.csv"
    latin1.write_bytes(GOOD_CSV.replace("Acme", "Café").encode("latin-1"))
    done = run(repo_root, "bot", "import", str(latin1), "--team", "T0VENDOR", env=sqlite_env)
    one_line(done, 2, str(latin1), "not UTF-8", "save it as CSV UTF-8")


def test_import_of_an_unreadable_file_says_to_check_its_permissions(
    repo_root: Path, sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    locked = tmp_path / "accounts.csv"
    locked.write_text(GOOD_CSV)
    locked.chmod(0)
    # root reads any file: the command then runs without the capabilities that let it, as a person would.
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) runs the command without root's read-anything capability"
        drop = "-dac_override,-dac_read_search"
        prefix = (setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--")
    done = run(repo_root, "bot", "import", str(locked), "--team", "T0VENDOR", env=sqlite_env, prefix=prefix)
    one_line(done, 2, str(locked), "not allowed to read it", "permissions")


def test_export_to_an_unwritable_path_says_to_choose_another(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    make_account(sessions, now=datetime(2026, 11, 23, tzinfo=UTC))
    # /proc/version refuses writing even to root.
    env = {"DATABASE_URL": database_url}
    done = run(repo_root, "bot", "export", "--account", "Acme", "--output", "/proc/version", env=env)
    one_line(done, 2, "cannot write /proc/version", "--output")


def test_export_into_a_folder_that_does_not_exist_says_so(
    repo_root: Path, database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    make_account(sessions, now=datetime(2026, 11, 23, tzinfo=UTC))
    target = tmp_path / "no-such-folder" / "acme.csv"
    done = run(
        repo_root,
        "bot",
        "export",
        "--account",
        "Acme",
        "--output",
        str(target),
        env={"DATABASE_URL": database_url},
    )
    one_line(done, 2, str(target), "folder does not exist")


# -- the database ----------------------------------------------------------------------------------


def test_upgrade_against_a_postgresql_port_nothing_listens_on_names_the_database(repo_root: Path) -> None:
    url = postgres_url(port=closed_port())
    done = run(repo_root, "models", "upgrade", env={"DATABASE_URL": url})
    one_line(done, 1, "cannot use the database", str(make_url(url).port), "check DATABASE_URL")


def test_export_from_a_postgresql_database_that_does_not_exist_names_it(repo_root: Path) -> None:
    url = postgres_url("no_such_database_here")
    done = run(repo_root, "bot", "export", "--account", "Acme", env={"DATABASE_URL": url})
    one_line(done, 1, "no_such_database_here", "does not exist", "check DATABASE_URL")


def test_tick_with_a_malformed_database_url_shows_the_right_form(repo_root: Path) -> None:
    done = run(
        repo_root,
        "scheduler",
        "tick",
        env={"DATABASE_URL": "localhost:5432/accountability", "SLACK_BOT_TOKEN": "xoxb-x"},
    )
    one_line(done, 2, "DATABASE_URL", "is not a database URL", "postgresql://")


def test_a_database_password_is_never_shown(repo_root: Path) -> None:
    url = make_url(postgres_url(port=closed_port())).set(password="hunter2-secret")
    done = run(
        repo_root, "models", "upgrade", env={"DATABASE_URL": url.render_as_string(hide_password=False)}
    )
    line = one_line(done, 1, "cannot use the database")
    assert "hunter2-secret" not in line


def test_demo_with_an_unreachable_database_names_its_option(repo_root: Path) -> None:
    done = run(repo_root, "demo", "--database", postgres_url(port=closed_port()))
    one_line(done, 1, "cannot use the database", "check --database")


# -- Slack -----------------------------------------------------------------------------------------


def test_import_with_a_token_slack_refuses_says_which_token_to_set(
    repo_root: Path, sqlite_env: dict[str, str], emulator: SlackEmulator, tmp_path: Path
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(GOOD_CSV)
    env = {**sqlite_env, "SLACK_BOT_TOKEN": "xoxb-not-this-one", "SLACK_API_URL": emulator.api_url}
    done = run(repo_root, "bot", "import", str(source), env=env)
    one_line(done, 2, "Slack refused SLACK_BOT_TOKEN (invalid_auth)", "Bot User OAuth Token")


def test_tick_with_a_token_slack_refuses_says_which_token_to_set(
    repo_root: Path, sqlite_env: dict[str, str], emulator: SlackEmulator
) -> None:
    env = {**sqlite_env, "SLACK_BOT_TOKEN": "xoxb-not-this-one", "SLACK_API_URL": emulator.api_url}
    done = run(repo_root, "scheduler", "tick", env=env)
    one_line(done, 2, "Slack refused SLACK_BOT_TOKEN (invalid_auth)")


def test_import_when_slack_is_unreachable_says_nothing_was_written(
    repo_root: Path, sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(GOOD_CSV)
    slack = f"http://127.0.0.1:{closed_port()}/api/"
    env = {**sqlite_env, "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_API_URL": slack}
    done = run(repo_root, "bot", "import", str(source), "--team", "T0VENDOR", env=env)
    one_line(done, 1, f"cannot reach Slack at {slack}", "SLACK_API_URL")


def test_tick_when_slack_is_unreachable_says_where_it_looked(
    repo_root: Path, sqlite_env: dict[str, str]
) -> None:
    slack = f"http://127.0.0.1:{closed_port()}/api/"
    done = run(
        repo_root,
        "scheduler",
        "tick",
        env={**sqlite_env, "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_API_URL": slack},
    )
    one_line(done, 1, f"cannot reach Slack at {slack}")


def test_debug_shows_the_traceback(repo_root: Path, tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    done = run(
        repo_root, "bot", "--debug", "import", str(tmp_path / "nowhere.csv"), "--team", "T", env=sqlite_env
    )
    assert done.returncode != 0 and "Traceback" in done.stderr
