"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import models


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)
    assert differences == []


def test_checkins_are_unique_per_commitment_and_instant(engine: Engine) -> None:
    constraints = inspect(engine).get_unique_constraints("checkins")
    assert {"commitment_id", "scheduled_at"} in [set(c["column_names"]) for c in constraints]


def test_every_workspace_table_carries_team_ids(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in (
        "accounts",
        "people",
        "commitments",
        "checkins",
        "diary_entries",
        "escalations",
        "agreements",
    ):
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert {"team_id", "enterprise_id"} <= columns, table
