"""`python -m models upgrade`: apply migrations (the Procfile's release step), saying which ran.

A failure ends with one line on standard error (exit 2: fix DATABASE_URL; 1: the database failed).
"""

from __future__ import annotations

import argparse

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from bot import operator_errors
from bot.operator_errors import safe_url
from bot.settings import Settings
from models.db import alembic_config, make_engine, upgrade


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def applied_between(engine: Engine, before: str | None, after: str | None) -> list[str]:
    """The revisions from `before` (exclusive) up to `after`, oldest first."""
    if after is None or before == after:
        return []
    script = ScriptDirectory.from_config(alembic_config(engine))
    return [rev.revision for rev in reversed(list(script.iterate_revisions(after, before)))]


def main(argv: list[str] | None = None) -> int:
    return operator_errors.run_operator_command("python -m models", _main, argv)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m models", description=__doc__, epilog=operator_errors.DEBUG_HELP
    )
    parser.add_argument("command", choices=["upgrade"], help="apply every pending migration")
    parser.parse_args(argv)
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    database = safe_url(settings.database_url)
    applied = applied_between(engine, before, after)
    if applied:
        print(f"{database}: applied {', '.join(applied)}; now at {after}")
    else:
        print(f"{database}: already at {after}; nothing to apply")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
