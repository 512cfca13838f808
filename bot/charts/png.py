"""The chart as a PNG for the private email reply and the Slack DM: matplotlib's Agg canvas, no display.

matplotlib is imported here, inside render(), so nothing that never draws a PNG
(one-shot `sotp ask`, the terminal) pays for loading it. The figure is made
with matplotlib.figure.Figure and the Agg canvas directly: pyplot, its global
state and any display backend stay out of it. The file carries no software
version or date, so the same points give the same bytes.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from bot.calc.curve import PaymentCurve
from bot.calc.records import format_price
from bot.calc.schedule import ALL_UPFRONT_LIMIT, INITIAL_EXPECTED_BY

log = logging.getLogger("sotp.charts")

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.8, 100      # 800 x 480 pixels
FILENAME = "total-payment-chart.png"
ILLUSTRATIVE = "Illustrative: model prices, not the Pricing Grid negotiated by Microsoft and JPMorgan"
ESTIMATE_NOTE = ("Estimates before tax. The actual Total Payment is known only after the Averaging Period "
                 "sets the Average Closing Price.")
TOTAL_COLOUR, LIMIT_COLOUR, INITIAL_COLOUR, TABLE_COLOUR = "#1f4e79", "#c00000", "#bdd7ee", "#1f4e79"


def title(curve: PaymentCurve) -> str:
    return (f"Total Payment for {curve.employee_id} at an Average Closing Price "
            f"from ${format_price(curve.low)} to ${format_price(curve.high)}")


def _money_ticks(value: float, _position: Any) -> str:
    return _plain(f"${value:,.0f}")


def _plain(text: str) -> str:
    """Dollar signs as themselves: matplotlib reads text between two of them as mathematics."""
    return text.replace("$", r"\$")


def render(curve: PaymentCurve) -> bytes:
    """The chart as PNG bytes (about 40 KB): line, $20,000 line, table prices, Initial Payment shaded."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    prices = [float(p.price) for p in curve.points]
    totals = [float(p.total) for p in curve.points]
    initial = [float(p.initial) for p in curve.points]
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.fill_between(prices, 0, initial, color=INITIAL_COLOUR, linewidth=0,
                      label=f"Initial Payment (expected by {INITIAL_EXPECTED_BY:%B} {INITIAL_EXPECTED_BY.day}, "
                            f"{INITIAL_EXPECTED_BY.year})")
    if any(t > i for t, i in zip(totals, initial)):
        axes.fill_between(prices, initial, totals, color="#f2f2f2", linewidth=0,
                          label="Contingent Payment(s), later")
    axes.plot(prices, totals, color=TOTAL_COLOUR, linewidth=2, label="Total Payment")
    axes.axhline(float(ALL_UPFRONT_LIMIT), color=LIMIT_COLOUR, linewidth=1, linestyle="--",
                 label=_plain(f"${ALL_UPFRONT_LIMIT:,.2f}"))
    marked = [p for p in curve.points if p.price in curve.table_prices]
    if marked:
        axes.plot([float(p.price) for p in marked], [float(p.total) for p in marked], linestyle="none",
                  marker="o", markersize=5, color=TABLE_COLOUR,
                  label=_plain(f"Employee Election Tool table prices (${marked[0].price:.0f} to "
                              f"${marked[-1].price:.0f})"))
    axes.set_xlim(float(curve.low), float(curve.high))
    axes.set_ylim(0, max(float(curve.peak), float(ALL_UPFRONT_LIMIT)) * 1.05)
    axes.yaxis.set_major_formatter(FuncFormatter(_money_ticks))
    axes.xaxis.set_major_formatter(FuncFormatter(_money_ticks))
    axes.set_xlabel("Average Closing Price (dollars per share)")
    axes.set_ylabel("Total Payment (U.S. dollars)")
    axes.grid(True, color="#e0e0e0", linewidth=0.5)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    heading = title(curve)
    if curve.illustrative:
        heading += f"\n{ILLUSTRATIVE}"
    axes.set_title(_plain(heading), fontsize=10, color=LIMIT_COLOUR if curve.illustrative else "black", loc="left")
    figure.text(0.01, 0.01, ESTIMATE_NOTE, fontsize=7, color="#555555")
    # Fixed margins: tight_layout draws the whole figure once more only to measure it (a third of the time).
    figure.subplots_adjust(left=0.12, right=0.96, top=0.88, bottom=0.16)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None, "Title": heading},
                   pil_kwargs={"compress_level": 6})
    return out.getvalue()


def for_employee(db: Any, settings: Any, employee_id: str, *, separate_process: bool = False) -> bytes | None:
    """The employee's chart as PNG bytes at send time, or None where the grid cannot draw one.

    Reads the database (through bot.figures): call it from a worker thread, never the event loop.
    separate_process: draw it in the chart process (bot.charts.pool), as the service does.
    """
    from bot import figures
    from bot.calc.errors import CalcError

    try:
        curve = figures.chart_points(db, settings, employee_id)
    except (CalcError, LookupError):
        log.info("no chart for %s: the Pricing Grid cannot draw one", employee_id)
        return None
    if separate_process:
        from bot.charts import pool

        return pool.draw(curve)
    return render(curve)
