"""The digest's chart says whose figures it shows, what each point weighs, which weeks had no check-ins,
and ends its weeks on the digest's own day: read from the matplotlib figure itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from freezegun import freeze_time
from matplotlib.figure import Figure

from bot.digest.chart import NO_CHECKINS, chart_figure, chart_title
from bot.digest.figures import WeeklyRates, week_boundaries
from bot.digest.scorecard import KeptRate
from bot.digest.settings import DigestSchedule

EMPTY = KeptRate(0, 0)
WEEK_ENDS = [date(2026, 11, 30) - timedelta(weeks=n) for n in (3, 2, 1, 0)]


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].texts]


def legend(figure: Figure) -> list[str]:
    found = figure.axes[0].get_legend()
    assert found is not None
    return [t.get_text() for t in found.get_texts()]


def weekly(customer: list[KeptRate], vendor: list[KeptRate]) -> WeeklyRates:
    return WeeklyRates(week_ends=WEEK_ENDS, customer=customer, vendor=vendor)


def test_one_accounts_chart_names_the_account_and_a_portfolio_chart_does_not() -> None:
    assert (
        chart_title(account="FitCo", stamp="2026-11-30")
        == "Kept-rate per side — FitCo, 12 weeks to 2026-11-30"
    )
    assert chart_title(account=None, stamp="2026-11-30") == "Kept-rate per side, 12 weeks to 2026-11-30"
    figure = chart_figure(weekly([EMPTY] * 4, [EMPTY] * 4), title=chart_title(account="FitCo", stamp="x"))
    assert "FitCo" in figure.axes[0].get_title()


def test_each_point_says_how_many_checkins_it_stands_for() -> None:
    figure = chart_figure(
        weekly(
            [KeptRate(1, 1), KeptRate(2.5, 4), KeptRate(3, 3), KeptRate(0, 2)],
            [KeptRate(5, 5), KeptRate(1, 2), KeptRate(0, 1), KeptRate(4, 7)],
        ),
        title="t",
    )
    assert sorted(t for t in texts(figure) if t.startswith("n=")) == sorted(
        ["n=1", "n=4", "n=3", "n=2", "n=5", "n=2", "n=1", "n=7"]
    )
    assert NO_CHECKINS not in " ".join(texts(figure) + legend(figure))


def test_weeks_without_checkins_are_marked_not_left_blank() -> None:
    figure = chart_figure(
        weekly(
            [EMPTY, KeptRate(1, 2), EMPTY, KeptRate(2, 2)], [EMPTY, EMPTY, KeptRate(1, 1), KeptRate(1, 1)]
        ),
        title="t",
    )
    # The first week had none on either side: shaded and labelled once.
    assert texts(figure).count(NO_CHECKINS) == 1
    # A side with none in a week the other side had some: its own mark, named in the legend.
    assert "Customer side: no check-ins" in legend(figure)
    assert "Vendor side: no check-ins" in legend(figure)


@freeze_time("2026-11-25 13:30:00")  # a Wednesday, 08:30 in New York
def test_the_weeks_end_on_the_digests_day_across_a_daylight_saving_change() -> None:
    schedule = DigestSchedule(weekday=2, at=time(8, 0), tz="America/New_York")
    end = schedule.latest_due(datetime.now(UTC))
    boundaries = week_boundaries(schedule, end, 12)
    local = [b.astimezone(schedule.zone) for b in boundaries]
    assert {d.strftime("%A %H:%M") for d in local} == {"Wednesday 08:00"}  # before and after 1 Nov
    ends = list(reversed([d.date() for d in local[:4]]))
    figure = chart_figure(
        WeeklyRates(week_ends=ends, customer=[KeptRate(1, 1)] * 4, vendor=[KeptRate(1, 1)] * 4), title="t"
    )
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks == ["Wed 4 Nov", "Wed 11 Nov", "Wed 18 Nov", "Wed 25 Nov"]
    assert "Wednesdays, the digest's day" in figure.axes[0].get_xlabel()
