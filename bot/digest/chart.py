"""The digest's chart: each side's weekly kept-rate over the last twelve weeks, as a PNG.

Drawn with matplotlib's object API on the Agg canvas rather than pyplot, so no global figure state is
shared between the clock's work and a command asking for a digest at the same time.

What a reader must not have to guess: whose figures these are (the account, when the digest is one
account's), how much each point weighs (a 100 % from one check-in is not a 100 % from twenty: each point
is labelled with its count), that a missing point means no check-ins rather than a drawing fault (such
weeks are marked), and where the weeks end (on the digest's own day and time, which the axis names).
"""

from __future__ import annotations

import io
import math
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.digest.figures import WeeklyRates
from bot.digest.scorecard import KeptRate

WIDTH_PX, HEIGHT_PX, DPI = 1000, 450, 100
COLOURS = {"Customer side": "#1f77b4", "Vendor side": "#d62728"}
EMPTY_Y = -2.5  # where a side's "no check-ins" mark sits: under the 0 % line, never read as a rate
NO_CHECKINS = "no check-ins"
# Counts above the customer's points and below the vendor's, so two points at one height stay readable.
COUNT_OFFSET = {"Customer side": 7, "Vendor side": -13}


def _percentages(rates: list[KeptRate]) -> list[float]:
    """A week with no counted check-in is a gap in the line, not a zero (it is marked apart)."""
    return [r.percent if r.total else math.nan for r in rates]


def _any_counted(weekly: WeeklyRates, week: int) -> bool:
    return bool(weekly.customer[week].total or weekly.vendor[week].total)


def _count_offset(side: str, percent: float) -> int:
    """Points above, or below, their point (in points): turned round near the top or the bottom edge."""
    offset = COUNT_OFFSET[side]
    if offset < 0 and percent < 12:
        return -offset - 6
    if offset > 0 and percent > 90:
        return -offset - 6
    return offset


def chart_title(*, account: str | None, stamp: str) -> str:
    """ "Kept-rate per side — FitCo, 12 weeks to 2026-11-30" for one account's digest."""
    whose = f" — {account}," if account else ","
    return f"Kept-rate per side{whose} 12 weeks to {stamp}"


def _tick(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def chart_figure(weekly: WeeklyRates, *, title: str) -> Figure:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Numeric positions with labels, not categorical strings: weeks with no data on either side must
    # still take their place on the axis, so twelve weeks always look like twelve weeks.
    positions = list(range(len(weekly.week_ends)))
    sides = (("Customer side", weekly.customer), ("Vendor side", weekly.vendor))
    for name, rates in sides:
        colour = COLOURS[name]
        axes.plot(positions, _percentages(rates), marker="o", label=name, color=colour)
        for x, rate in zip(positions, rates, strict=True):
            if rate.total:
                axes.annotate(
                    f"n={rate.total}",
                    (x, rate.percent),
                    xytext=(0, _count_offset(name, rate.percent)),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                    color=colour,
                )
        # A week empty on both sides is shaded and labelled once below; here, one side's empty week.
        empty = [x for x in positions if not rates[x].total and _any_counted(weekly, x)]
        if empty:
            axes.plot(
                empty,
                [EMPTY_Y] * len(empty),
                linestyle="none",
                marker="x",
                color=colour,
                label=f"{name}: {NO_CHECKINS}",
            )
    for x in positions:
        if not _any_counted(weekly, x):
            axes.axvspan(x - 0.45, x + 0.45, color="#999999", alpha=0.12, linewidth=0)
            axes.text(x, 50, NO_CHECKINS, rotation=90, ha="center", va="center", fontsize=8, color="#666666")
    axes.set_xticks(positions, [_tick(d) for d in weekly.week_ends])
    axes.set_xlim(-0.5, len(positions) - 0.5)
    axes.set_ylim(-5, 105)
    axes.set_ylabel("kept (%)")
    ends = f"{weekly.week_ends[-1]:%A}s" if weekly.week_ends else "the digest's day"
    axes.set_xlabel(f"week ending ({ends}, the digest's day) · n = check-ins counted")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the plot, never over a line
    axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    return figure


def chart_png(weekly: WeeklyRates, *, title: str) -> bytes:
    out = io.BytesIO()
    chart_figure(weekly, title=title).savefig(out, format="png", dpi=DPI)
    return out.getvalue()
