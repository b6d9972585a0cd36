"""The databases a benchmark runs against: a fresh SQLite file, and a PostgreSQL database of its own.

Benchmarks drop and re-create every table, so they never touch the `test` database the test suite
uses: BENCH_DATABASE_URL names the PostgreSQL database, by default `accountability_bench` on the
machine's server, created on first use.
"""

from __future__ import annotations

import os
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import models
from models.db import make_engine, normalise_url, upgrade

SERVER = "postgresql://root@127.0.0.1:5432"
DEFAULT_DATABASE = "accountability_bench"


def postgres_url() -> str:
    """BENCH_DATABASE_URL, or the dedicated bench database, created if missing."""
    url = os.environ.get("BENCH_DATABASE_URL") or f"{SERVER}/{DEFAULT_DATABASE}"
    name = make_url(normalise_url(url)).database
    if name == "test":
        raise SystemExit("benchmarks drop every table: point BENCH_DATABASE_URL at a database of their own")
    admin = create_engine(normalise_url(url).rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url


def sqlite_url() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='accountability-bench-')}/bench.db"


def fresh_schema(url: str) -> None:
    """Every table dropped and migrated again, so each measurement starts from empty tables."""
    engine = make_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # the installation stores' tables too, not only the models'
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            models.Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    engine.dispose()
