"""The workspace's digest settings: where accounts without their own digest channel report, and when.

A workspace that never set anything gets the defaults (Monday 09:00 UTC, chart on, no default channel)
without a row being written, so reading settings never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.accounts.access import Actor
from bot.checkins.schedule import local_instant
from bot.errors import Refusal
from models import Account, WorkspaceSettings

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_WEEKDAY = 0
DEFAULT_TIME = time(9, 0)
DEFAULT_TZ = "UTC"
PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class DigestSettings:
    """One change to the workspace's digest settings, or none (`show`) to read them."""

    channel_id: str | None = None
    clear_channel: bool = False
    weekday: int | None = None
    at: time | None = None
    tz: str | None = None
    chart: bool | None = None

    @property
    def show(self) -> bool:
        return self == DigestSettings()


@dataclass(frozen=True)
class DigestSchedule:
    weekday: int = DEFAULT_WEEKDAY
    at: time = DEFAULT_TIME
    tz: str = DEFAULT_TZ
    chart: bool = True
    channel_id: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def latest_due(self, now: datetime) -> datetime:
        """The last scheduled instant at or before `now`, in UTC; a week's digest covers the 7 days before it.

        Computed on the wall clock of the digest's zone, so "Monday 09:00 Europe/Berlin" stays 09:00
        across daylight-saving changes (the period is then 167 or 169 hours long).
        """
        local_today = now.astimezone(self.zone).date()
        day = local_today - timedelta(days=(local_today.weekday() - self.weekday) % 7)
        instant = local_instant(day, self.at, self.zone)
        if instant > now:
            instant = local_instant(day - PERIOD, self.at, self.zone)
        return instant

    def next_due(self, now: datetime) -> datetime:
        """The first scheduled instant after `now`, in UTC: what the clock stores as the bound of the
        workspace's accounts (`Account.next_digest_at`) once the digest due now is dealt with."""
        day = self.latest_due(now).astimezone(self.zone).date()
        instant = local_instant(day + PERIOD, self.at, self.zone)
        while instant <= now:  # only where a daylight-saving gap moved the wall-clock time
            day += PERIOD
            instant = local_instant(day + PERIOD, self.at, self.zone)
        return instant

    def period_before(self, end: datetime) -> tuple[datetime, datetime]:
        """The week up to `end`: from the same wall-clock time seven days earlier in the digest's zone
        (the digest hour for the weekly post, the moment asked for a digest on request)."""
        local_end = end.astimezone(self.zone)
        return local_instant(local_end.date() - PERIOD, local_end.time(), self.zone), end

    def text(self) -> str:
        chart = "with the chart" if self.chart else "without the chart"
        where = f"<#{self.channel_id}>" if self.channel_id else "no default channel"
        return (
            f"{DAY_NAMES[self.weekday]}s at {self.at:%H:%M} ({self.tz}), {chart}; workspace default: {where}"
        )


def schedule_of(row: WorkspaceSettings | None) -> DigestSchedule:
    if row is None:
        return DigestSchedule()
    return DigestSchedule(
        weekday=row.digest_weekday,
        at=row.digest_time,
        tz=row.digest_tz,
        chart=row.digest_chart,
        channel_id=row.digest_channel_id,
    )


def load_schedules(session: Session, team_ids: list[str]) -> dict[str, DigestSchedule]:
    rows = session.scalars(select(WorkspaceSettings).where(WorkspaceSettings.team_id.in_(team_ids)))
    found = {row.team_id: schedule_of(row) for row in rows}
    return {team_id: found.get(team_id, DigestSchedule()) for team_id in team_ids}


def settings_row(session: Session, *, team_id: str, enterprise_id: str | None) -> WorkspaceSettings:
    """The row to change, created with the defaults the first time an admin changes anything."""
    row = session.scalar(select(WorkspaceSettings).where(WorkspaceSettings.team_id == team_id))
    if row is None:
        row = WorkspaceSettings(
            team_id=team_id,
            enterprise_id=enterprise_id,
            digest_weekday=DEFAULT_WEEKDAY,
            digest_time=DEFAULT_TIME,
            digest_tz=DEFAULT_TZ,
            digest_chart=True,
        )
        session.add(row)
    return row


def change_digest_settings(session: Session, command: DigestSettings, *, actor: Actor, now: datetime) -> str:
    """Anyone on the vendor's side may read the settings; only an admin changes them, since they
    decide where every account without its own digest channel reports."""
    if command.show:
        schedule = load_schedules(session, [actor.team_id])[actor.team_id]
        return f"*Digest settings*\n{schedule.text()}"
    if not actor.is_admin:
        raise Refusal(
            "Only accountability admins change the workspace's digest settings (they are listed in "
            "ACCOUNTABILITY_ADMINS). A CSM can give one account its own channel: "
            "`/accountability account edit <Account> digest:#channel`."
        )
    row = settings_row(session, team_id=actor.team_id, enterprise_id=actor.enterprise_id)
    if command.channel_id is not None:
        row.digest_channel_id = command.channel_id
    if command.clear_channel:
        row.digest_channel_id = None
    if command.weekday is not None:
        row.digest_weekday = command.weekday
    if command.at is not None:
        row.digest_time = command.at
    if command.tz is not None:
        row.digest_tz = command.tz
    if command.chart is not None:
        row.digest_chart = command.chart
    row.updated_by = actor.user_id
    row.updated_at = now
    # The day, time, zone or default channel may have moved: the clock works out every account's next
    # digest again (`bot.digest.posting`).
    session.execute(update(Account).where(Account.team_id == actor.team_id).values(next_digest_at=None))
    session.flush()
    return f"Digest settings updated: {schedule_of(row).text()}"
