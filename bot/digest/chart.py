"""The digest's chart: each side's weekly kept-rate over the last twelve weeks, as a PNG.

Drawn with matplotlib's object API on the Agg canvas rather than pyplot, so no global figure state is
shared between the clock's work and a command asking for a digest at the same time.
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.digest.figures import WeeklyRates
from bot.digest.scorecard import KeptRate

WIDTH_PX, HEIGHT_PX, DPI = 1000, 450, 100
COLOURS = {"Customer side": "#1f77b4", "Vendor side": "#d62728"}


def _percentages(rates: list[KeptRate]) -> list[float]:
    """A week with no counted check-in is a gap in the line, not a zero."""
    return [r.percent if r.total else math.nan for r in rates]


def chart_png(weekly: WeeklyRates, *, title: str) -> bytes:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Numeric positions with labels, not categorical strings: weeks with no data on either side must
    # still take their place on the axis, so twelve weeks always look like twelve weeks.
    positions = list(range(len(weekly.week_ends)))
    for name, rates in (("Customer side", weekly.customer), ("Vendor side", weekly.vendor)):
        axes.plot(positions, _percentages(rates), marker="o", label=name, color=COLOURS[name])
    axes.set_xticks(positions, [f"{d:%d %b}" for d in weekly.week_ends])
    axes.set_xlim(-0.5, len(positions) - 0.5)
    axes.set_ylim(-5, 105)
    axes.set_ylabel("kept (%)")
    axes.set_xlabel("week ending")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the plot, never over a line
    axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
