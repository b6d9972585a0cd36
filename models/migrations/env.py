"""Alembic environment: runs against the engine handed over by `models.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import models
from bot.settings import Settings
from models.db import make_engine

target_metadata = models.Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
