"""Which installations are live: recorded when an install completes, stopped when Slack says the app
was uninstalled or its bot token revoked, resumed by a reinstall. A stopped workspace keeps its data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Tenant, WorkspaceInstall
from models.db import insert_once


def tenant_of(row: WorkspaceInstall) -> Tenant:
    return Tenant(
        team_id=row.team_id, enterprise_id=row.enterprise_id, is_enterprise_install=row.is_enterprise_install
    )


def record_install(
    sessions: sessionmaker[Session], tenant: Tenant, *, team_name: str | None, now: datetime
) -> None:
    """A new install, or a reinstall that resumes a stopped workspace."""
    with sessions.begin() as session:
        insert_once(
            session,
            WorkspaceInstall,
            {
                "tenant_key": tenant.key,
                "team_id": tenant.team_id,
                "enterprise_id": tenant.enterprise_id,
                "is_enterprise_install": tenant.is_enterprise_install,
                "team_name": team_name,
                "installed_at": now,
            },
            unique=["tenant_key"],
        )
        row = session.scalars(select(WorkspaceInstall).where(WorkspaceInstall.tenant_key == tenant.key)).one()
        if row.uninstalled_at is not None:
            row.installed_at = now
        row.uninstalled_at = None
        row.uninstall_reason = None
        row.team_name = team_name or row.team_name


def stop(sessions: sessionmaker[Session], tenant: Tenant, *, reason: str, now: datetime) -> bool:
    """Stop every send for the installation; True if it was live until now."""
    with sessions.begin() as session:
        row = session.scalars(
            select(WorkspaceInstall).where(WorkspaceInstall.tenant_key == tenant.key)
        ).first()
        if row is None:
            session.add(
                WorkspaceInstall(
                    tenant_key=tenant.key,
                    team_id=tenant.team_id,
                    enterprise_id=tenant.enterprise_id,
                    is_enterprise_install=tenant.is_enterprise_install,
                    installed_at=now,
                    uninstalled_at=now,
                    uninstall_reason=reason,
                )
            )
            return True
        if row.uninstalled_at is not None:
            return False
        row.uninstalled_at = now
        row.uninstall_reason = reason
        return True


def is_stopped(sessions: sessionmaker[Session], tenant: Tenant) -> bool:
    with sessions() as session:
        stopped = session.scalar(
            select(WorkspaceInstall.uninstalled_at).where(WorkspaceInstall.tenant_key == tenant.key)
        )
    return stopped is not None


def live_tenants(sessions: sessionmaker[Session]) -> list[Tenant]:
    with sessions() as session:
        rows = session.scalars(
            select(WorkspaceInstall)
            .where(WorkspaceInstall.uninstalled_at.is_(None))
            .order_by(WorkspaceInstall.id)
        )
        return [tenant_of(row) for row in rows]


def standing_report(sessions: sessionmaker[Session]) -> dict[str, object]:
    """For `/healthz`: how many installations are live, and which are stopped and why."""
    with sessions() as session:
        rows = list(session.scalars(select(WorkspaceInstall).order_by(WorkspaceInstall.id)))
    stopped = [
        {
            "workspace": row.tenant_key,
            "since": row.uninstalled_at.isoformat(),
            "reason": row.uninstall_reason,
            "sends": "stopped; data kept until reinstall",
        }
        for row in rows
        if row.uninstalled_at is not None
    ]
    return {"installed": len(rows) - len(stopped), "stopped": stopped}
