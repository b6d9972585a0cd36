"""Check-in instants: the owner's local time across DST, never on a weekend or a holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.checkins.schedule import local_instant, occurrences, upcoming, zone


def local(instants: list[datetime], tz: str) -> list[str]:
    return [i.astimezone(zone(tz)).strftime("%a %Y-%m-%d %H:%M") for i in instants]


def test_weekly_checkin_stays_at_local_nine_across_the_dst_change() -> None:
    # New York leaves daylight saving on Sunday 1 Nov 2026.
    found = occurrences(
        rule="FREQ=WEEKLY;BYDAY=MO",
        due_on=None,
        starts_on=date(2026, 10, 19),
        at=time(9),
        tz=zone("America/New_York"),
        holiday_country=None,
        after=datetime(2026, 10, 19, tzinfo=UTC),
        until=datetime(2026, 11, 10, tzinfo=UTC),
    )
    assert [t.isoformat() for t in found] == [
        "2026-10-19T13:00:00+00:00",
        "2026-10-26T13:00:00+00:00",
        "2026-11-02T14:00:00+00:00",
        "2026-11-09T14:00:00+00:00",
    ]
    assert set(local(found, "America/New_York")) == {
        "Mon 2026-10-19 09:00",
        "Mon 2026-10-26 09:00",
        "Mon 2026-11-02 09:00",
        "Mon 2026-11-09 09:00",
    }


def test_time_skipped_by_spring_forward_moves_forward() -> None:
    # 02:30 does not exist in New York on 8 March 2026.
    instant = local_instant(date(2026, 3, 8), time(2, 30), zone("America/New_York"))
    assert instant.astimezone(zone("America/New_York")).strftime("%H:%M") == "03:30"


def test_monthly_checkin_on_a_weekend_moves_to_monday() -> None:
    found = upcoming(
        rule="FREQ=MONTHLY;BYMONTHDAY=1",
        due_on=None,
        starts_on=date(2026, 10, 20),
        at=time(9),
        tz=zone("Europe/London"),
        holiday_country=None,
        after=datetime(2026, 10, 20, tzinfo=UTC),
        count=2,
    )
    # 1 Nov 2026 is a Sunday.
    assert local(found, "Europe/London") == ["Mon 2026-11-02 09:00", "Tue 2026-12-01 09:00"]


def test_holiday_calendar_moves_a_checkin_to_the_next_working_day() -> None:
    kwargs = {
        "rule": "FREQ=WEEKLY;BYDAY=TH",
        "due_on": None,
        "starts_on": date(2026, 11, 20),
        "at": time(10),
        "tz": zone("America/Chicago"),
        "after": datetime(2026, 11, 21, tzinfo=UTC),
        "until": datetime(2026, 11, 28, tzinfo=UTC),
    }
    # Thanksgiving: Thursday 26 Nov 2026.
    assert local(occurrences(holiday_country=None, **kwargs), "America/Chicago") == ["Thu 2026-11-26 10:00"]  # type: ignore[arg-type]
    assert local(occurrences(holiday_country="US", **kwargs), "America/Chicago") == ["Fri 2026-11-27 10:00"]  # type: ignore[arg-type]


def test_every_day_means_every_working_day_in_the_owners_zone() -> None:
    found = occurrences(
        rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        due_on=None,
        starts_on=date(2026, 11, 23),
        at=time(9),
        tz=zone("Asia/Tokyo"),
        holiday_country=None,
        after=datetime(2026, 11, 23, tzinfo=UTC),
        until=datetime(2026, 12, 1, tzinfo=UTC),
    )
    days = [d.split()[0] for d in local(found, "Asia/Tokyo")]
    assert days == ["Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]


def test_due_date_commitment_has_one_checkin_on_the_due_date() -> None:
    found = upcoming(
        rule=None,
        due_on=date(2026, 12, 15),
        starts_on=date(2026, 11, 23),
        at=time(14),
        tz=zone("Europe/Berlin"),
        holiday_country=None,
        after=datetime(2026, 11, 23, tzinfo=UTC),
        count=3,
    )
    assert local(found, "Europe/Berlin") == ["Tue 2026-12-15 14:00"]


def test_unknown_time_zone_falls_back_to_utc() -> None:
    assert zone("Mars/Olympus_Mons").key == "UTC"
    assert zone(None).key == "UTC"
