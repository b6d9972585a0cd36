"""Tenant isolation in one place: every ORM query of a session acting for an installation is filtered
to that installation's rows, without any query having to remember it.

A request, a clock pass or an operator command enters `acting_for(tenant)`; while it lasts, the
`do_orm_execute` hook below adds `with_loader_criteria(Model, team/enterprise filter)` for every model
that carries a workspace id, to SELECTs and to ORM UPDATEs and DELETEs alike, and a flush refuses a
new row of another workspace. The tenant travels in a context variable, so the threads Bolt runs
listeners on receive it with a copied context (see `app.ListenerExecutor`).

Outside `acting_for` nothing is filtered: single-workspace mode, migrations, and the clock's look-up of
which installations exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, with_loader_criteria

from models.base import Base


@dataclass(frozen=True)
class Tenant:
    """One installation: a workspace, or an Enterprise Grid organisation for an org-wide install."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @property
    def key(self) -> str:
        """What the installation is known by: the organisation for org-wide installs, else the team."""
        key = self.enterprise_id if self.is_enterprise_install else self.team_id
        if not key:
            raise ValueError("an installation needs a team id (or an enterprise id if org-wide)")
        return key

    def __str__(self) -> str:
        return self.key


class CrossTenantWrite(RuntimeError):
    """A row of another installation was about to be written while acting for this one."""


_acting_for: ContextVar[Tenant | None] = ContextVar("acting_for", default=None)


def current_tenant() -> Tenant | None:
    return _acting_for.get()


@contextmanager
def acting_for(tenant: Tenant | None) -> Iterator[None]:
    """Everything the database does inside is scoped to `tenant` (None: unscoped)."""
    token = _acting_for.set(tenant)
    try:
        yield
    finally:
        _acting_for.reset(token)


def enter(tenant: Tenant | None) -> None:
    """Scope the rest of the current context to `tenant`: for a request whose listeners run after the
    middleware that knows the installation has returned; the caller owns the context (a copied one)."""
    _acting_for.set(tenant)


# Service bookkeeping, not a workspace's data: deliveries seen and the installations themselves.
UNSCOPED_TABLES = frozenset({"processed_events", "workspace_installs"})


def _is_scoped(model: type[Any]) -> bool:
    mapper = getattr(model, "__mapper__", None)
    return mapper is not None and "team_id" in mapper.columns and model.__tablename__ not in UNSCOPED_TABLES


def scoped_models() -> list[type[Any]]:
    return [mapper.class_ for mapper in Base.registry.mappers if _is_scoped(mapper.class_)]


def _criterion(tenant: Tenant, model: type[Any]) -> Any:
    if tenant.is_enterprise_install and "enterprise_id" in model.__mapper__.columns:
        enterprise_id = tenant.enterprise_id
        return lambda cls: cls.enterprise_id == enterprise_id
    team_id = tenant.team_id
    return lambda cls: cls.team_id == team_id


@event.listens_for(Session, "do_orm_execute")
def _filter_to_tenant(state: ORMExecuteState) -> None:
    tenant = _acting_for.get()
    if tenant is None or state.is_column_load or state.is_relationship_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    options = []
    for model in scoped_models():
        if tenant.is_enterprise_install and "enterprise_id" not in model.__mapper__.columns:
            # Rows of an org-wide install carry the team they were made in; such a table (diary shares,
            # autopsy participants, review answers) is reached through its scoped parent.
            continue
        options.append(
            with_loader_criteria(
                model, _criterion(tenant, model), include_aliases=True, propagate_to_loaders=True
            )
        )
    state.statement = state.statement.options(*options)


@event.listens_for(Session, "before_flush")
def _refuse_foreign_rows(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    tenant = _acting_for.get()
    if tenant is None:
        return
    for row in list(session.new) + list(session.dirty):
        if not _is_scoped(type(row)):
            continue
        mapper = type(row).__mapper__
        if tenant.is_enterprise_install and "enterprise_id" in mapper.columns:
            if row.enterprise_id != tenant.enterprise_id:
                raise CrossTenantWrite(
                    f"{type(row).__name__} of organisation {row.enterprise_id} while acting for {tenant}"
                )
        elif not tenant.is_enterprise_install and row.team_id != tenant.team_id:
            raise CrossTenantWrite(
                f"{type(row).__name__} of workspace {row.team_id} while acting for {tenant}"
            )
