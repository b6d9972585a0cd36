"""The one tenant filter: while acting for an installation, no ORM statement sees, changes or adds a row
of another workspace — SELECTs, `Session.get`, bulk UPDATE and DELETE, and new rows alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Account, Tenant, acting_for
from models.tenancy import CrossTenantWrite
from tests.factories import make_account

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def two_accounts(sessions: sessionmaker[Session]) -> dict[str, int]:
    ours = make_account(sessions, now=NOW, name="Ours")
    theirs = make_account(sessions, now=NOW, name="Theirs")
    with sessions.begin() as session:
        session.execute(
            update(Account).where(Account.id == ours).values(team_id="T0OURS", enterprise_id="E0GRID")
        )
        session.execute(update(Account).where(Account.id == theirs).values(team_id="T0THEIRS"))
    return {"ours": ours, "theirs": theirs}


@pytest.mark.parametrize(
    "tenant",
    [
        Tenant(team_id="T0OURS"),
        Tenant(team_id="T0SOMEWHERE", enterprise_id="E0GRID", is_enterprise_install=True),
    ],
    ids=["workspace install", "org-wide install"],
)
def test_reads_see_only_the_installations_rows(
    sessions: sessionmaker[Session], two_accounts: dict[str, int], tenant: Tenant
) -> None:
    with acting_for(tenant), sessions() as session:
        assert session.scalars(select(Account.name)).all() == ["Ours"]
        assert session.get(Account, two_accounts["theirs"]) is None
        assert session.get(Account, two_accounts["ours"]) is not None


def test_bulk_updates_touch_only_the_installations_rows(
    sessions: sessionmaker[Session], two_accounts: dict[str, int]
) -> None:
    with acting_for(Tenant(team_id="T0OURS")), sessions.begin() as session:
        session.execute(update(Account).values(desired_outcome="changed"))
    with sessions() as session:
        outcomes = {
            name: outcome for name, outcome in session.execute(select(Account.name, Account.desired_outcome))
        }
    assert outcomes["Ours"] == "changed" and outcomes["Theirs"] != "changed"


def test_a_row_of_another_workspace_is_never_written(
    sessions: sessionmaker[Session], two_accounts: dict[str, int]
) -> None:
    with acting_for(Tenant(team_id="T0OURS")), pytest.raises(CrossTenantWrite), sessions.begin() as session:
        session.add(Account(team_id="T0THEIRS", name="Sneaky", name_key="sneaky"))
    with sessions() as session:
        assert session.scalars(select(Account.name).order_by(Account.name)).all() == ["Ours", "Theirs"]


def test_outside_any_installation_nothing_is_filtered(
    sessions: sessionmaker[Session], two_accounts: dict[str, int]
) -> None:
    with sessions() as session:
        assert len(session.scalars(select(Account)).all()) == 2
