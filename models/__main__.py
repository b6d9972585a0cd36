"""`python -m models upgrade`: apply migrations (the Procfile's release step)."""

from __future__ import annotations

import argparse

from bot.settings import Settings
from models.db import make_engine, upgrade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    parser.add_argument("command", choices=["upgrade"], help="apply every pending migration")
    parser.parse_args(argv)
    settings = Settings.from_env()
    upgrade(make_engine(settings.database_url))
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
