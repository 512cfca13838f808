"""The chart as a PNG for the private email reply and the Slack DM: drawn with Pillow, no display.

The picture is the one matplotlib drew before (same size, layout, font, colours and
ticks: matplotlib's own tick locator and its DejaVu Sans), but drawn with Pillow's
ImageDraw: matplotlib's Agg laid out and rasterized some thirty text artists anew for
every chart, ~0.2 s of CPU each, where this takes a few milliseconds. The plot area is
drawn at twice the size and reduced, so the curve and the shading have smooth edges;
what never changes (axis labels, the note, the legend's words) is rendered once per
process. The file carries no software version or date, so the same points give the
same bytes; its Title text chunk is the heading.
"""

from __future__ import annotations

import functools
import logging
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Sequence

from bot.calc.curve import PaymentCurve
from bot.calc.records import format_price
from bot.calc.schedule import ALL_UPFRONT_LIMIT, INITIAL_EXPECTED_BY

log = logging.getLogger("sotp.charts")

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.8, 100      # 800 x 480 pixels
WIDTH, HEIGHT = int(WIDTH_INCHES * DPI), int(HEIGHT_INCHES * DPI)
FILENAME = "total-payment-chart.png"
ILLUSTRATIVE = "Illustrative: model prices, not the Pricing Grid negotiated by Microsoft and JPMorgan"
ESTIMATE_NOTE = ("Estimates before tax. The actual Total Payment is known only after the Averaging Period "
                 "sets the Average Closing Price.")
TOTAL_COLOUR, LIMIT_COLOUR, INITIAL_COLOUR, TABLE_COLOUR = "#1f4e79", "#c00000", "#bdd7ee", "#1f4e79"
CONTINGENT_COLOUR, GRID_COLOUR, NOTE_COLOUR = "#f2f2f2", "#e0e0e0", "#555555"
YLABEL = "Total Payment (U.S. dollars)"
COMPRESS_LEVEL = 3          # zlib level: 6 took 60% longer for 7% fewer bytes
MASKS_KEPT = 512            # rendered text masks kept, all fonts together: the tick labels and legend recur

# The axes inside the figure (fractions, as matplotlib's subplots_adjust had them), in pixels.
LEFT, RIGHT, TOP, BOTTOM = round(0.12 * WIDTH), round(0.96 * WIDTH), round((1 - 0.88) * HEIGHT), round((1 - 0.16) * HEIGHT)
SCALE = 2                  # the plot area is drawn this many times larger, then reduced: smooth edges
MAX_TICKS = 9              # matplotlib's AutoLocator on an axis this long


def _px(points: float) -> float:
    """Typographic points to pixels at the chart's DPI."""
    return points * DPI / 72


TICK_LENGTH, TICK_PAD, TITLE_PAD, LABEL_PAD = _px(3.5), _px(3.5), _px(6.0), _px(4.0)
DASH = (_px(3.7) * SCALE, _px(1.6) * SCALE)   # the $20,000 line's dash and gap (matplotlib's "--")


def title(curve: PaymentCurve) -> str:
    return (f"Total Payment for {curve.employee_id} at an Average Closing Price "
            f"from ${format_price(curve.low)} to ${format_price(curve.high)}")


def money(value: float) -> str:
    """A tick label: whole dollars with thousands separators."""
    return f"${value:,.0f}"


@dataclass(frozen=True)
class _Scale:
    """Data (price, dollars) to pixels of the plot area, SCALE times larger."""

    low: float
    high: float
    top: float

    def x(self, price: float) -> float:
        return (price - self.low) / (self.high - self.low) * (RIGHT - LEFT) * SCALE

    def y(self, dollars: float) -> float:
        return (1 - dollars / self.top) * (BOTTOM - TOP) * SCALE


@functools.lru_cache(maxsize=None)
def _font(points: float) -> Any:
    import matplotlib

    return _kept_masks()(f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf", _px(points))


@functools.lru_cache(maxsize=None)
def _kept_masks() -> type:
    """A FreeTypeFont that keeps the masks it rendered: the same tick labels, legend and note are on
    every chart, and rasterizing them again was a quarter of a chart's CPU (8.3 -> 6.2 ms). ImageDraw
    only reads a mask (draw_bitmap), and the key holds every argument, the sub-pixel start included,
    so the pixels are the same. Made on first use, so importing this module does not import Pillow."""
    from PIL import ImageFont

    class KeptMasks(ImageFont.FreeTypeFont):
        @functools.lru_cache(maxsize=MASKS_KEPT)
        def getmask2(self, *args: Any, **kwargs: Any) -> Any:    # type: ignore[override]
            return super().getmask2(*args, **kwargs)

    return KeptMasks


@functools.lru_cache(maxsize=8)
def _vertical(text: str, points: float) -> Any:
    """A label turned a quarter to the left (the y axis's), as an image with its mask (made once)."""
    from PIL import Image, ImageDraw

    font = _font(points)
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (right, bottom))
    ImageDraw.Draw(mask).text((0, 0), text, font=font, fill=255)
    return mask.rotate(90, expand=True)


def _ticks(low: float, high: float) -> list[float]:
    """matplotlib's own choice of major ticks for this range (AutoLocator: at most nine intervals)."""
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=MAX_TICKS, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    span = high - low
    return [float(v) for v in values if low - span * 1e-10 <= v <= high + span * 1e-10]


def warm() -> None:
    """Load what render() needs before the first chart: the libraries, the fonts, the fixed label."""
    from PIL import Image, ImageDraw  # noqa: F401  (imported for their cost, here)

    _ticks(0.0, 1.0)
    for points in (7, 8, 10):
        _font(points)
    _vertical(YLABEL, 10)
    _png_bytes(Image.new("RGB", (1, 1), "white"), "")


def _dashes(draw: Any, y: float, x0: float, x1: float, width: int, colour: str, on: float, off: float) -> None:
    x = x0
    while x < x1:
        draw.line([(x, y), (min(x + on, x1), y)], fill=colour, width=width)
        x += on + off


def _legend_entries(curve: PaymentCurve, contingent: bool) -> list[tuple[str, str]]:
    entries = [("initial", f"Initial Payment (expected by {INITIAL_EXPECTED_BY:%B} {INITIAL_EXPECTED_BY.day}, "
                           f"{INITIAL_EXPECTED_BY.year})")]
    if contingent:
        entries.append(("contingent", "Contingent Payment(s), later"))
    entries += [("total", "Total Payment"), ("limit", f"${ALL_UPFRONT_LIMIT:,.2f}")]
    marked = [p for p in curve.points if p.price in curve.table_prices]
    if marked:
        entries.append(("table", f"Employee Election Tool table prices (${marked[0].price:.0f} to "
                                  f"${marked[-1].price:.0f})"))
    return entries


def _plot_area(curve: PaymentCurve, scale: _Scale, xticks: Sequence[float], yticks: Sequence[float],
               legend: Sequence[tuple[str, str]]) -> Any:
    """Shading, grid, lines, markers and the legend's keys, drawn SCALE times larger and reduced."""
    from PIL import Image, ImageDraw

    w, h = (RIGHT - LEFT) * SCALE, (BOTTOM - TOP) * SCALE
    area = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(area)
    xs = [scale.x(float(p.price)) for p in curve.points]
    totals = [scale.y(float(p.total)) for p in curve.points]
    initial = [scale.y(float(p.initial)) for p in curve.points]
    base = scale.y(0)
    draw.polygon([*zip(xs, initial), (xs[-1], base), (xs[0], base)], fill=INITIAL_COLOUR)
    if any(p.total > p.initial for p in curve.points):
        draw.polygon([*zip(xs, totals), *reversed(list(zip(xs, initial)))], fill=CONTINGENT_COLOUR)
    grid = max(1, round(_px(0.5) * SCALE))
    for v in xticks:
        draw.line([(scale.x(v), 0), (scale.x(v), h)], fill=GRID_COLOUR, width=grid)
    for v in yticks:
        draw.line([(0, scale.y(v)), (w, scale.y(v))], fill=GRID_COLOUR, width=grid)
    limit_width = round(_px(1) * SCALE)
    _dashes(draw, scale.y(float(ALL_UPFRONT_LIMIT)), 0, w, limit_width, LIMIT_COLOUR, *DASH)
    line_width = round(_px(2) * SCALE)
    draw.line(list(zip(xs, totals)), fill=TOTAL_COLOUR, width=line_width, joint="curve")
    radius = _px(5) / 2 * SCALE
    for p in curve.points:
        if p.price in curve.table_prices:
            cx, cy = scale.x(float(p.price)), scale.y(float(p.total))
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=TABLE_COLOUR)
    # The legend's keys, upper left (matplotlib's spacing for 8-point text, no frame).
    key_left, key_length = _px(8) * SCALE, _px(16) * SCALE
    for row, (kind, _) in enumerate(legend):
        cy = _legend_row_y(row) * SCALE
        if kind in ("initial", "contingent"):
            half = _px(0.7 * 8) / 2 * SCALE
            draw.rectangle([key_left, cy - half, key_left + key_length, cy + half],
                           fill=INITIAL_COLOUR if kind == "initial" else CONTINGENT_COLOUR)
        elif kind == "total":
            draw.line([(key_left, cy), (key_left + key_length, cy)], fill=TOTAL_COLOUR, width=line_width)
        elif kind == "limit":
            _dashes(draw, cy, key_left, key_left + key_length, limit_width, LIMIT_COLOUR, *DASH)
        else:
            cx = key_left + key_length / 2
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=TABLE_COLOUR)
    return area.reduce(SCALE)


def _legend_row_y(row: int) -> float:
    """The middle of a legend row, in pixels below the top of the plot area."""
    return _px(4 + 3.2) + _px(8) * 0.65 + row * _px(8 * 1.5)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_bytes(image: Any, heading: str) -> bytes:
    """An RGB image as PNG bytes at DPI, its Title text chunk the heading.

    Written here rather than by Image.save: Pillow tries an adaptive filter on every row, which was more
    than half of a chart's CPU, and a chart of flat colours compresses as well unfiltered. Decoders
    read it the same (checked against Pillow's own reader in the tests)."""
    width, height = image.size
    stride = width * 3
    raw = image.tobytes()
    rows = b"".join(b"\x00" + raw[i:i + stride] for i in range(0, stride * height, stride))   # filter: none
    ppm = int(DPI / 0.0254 + 0.5)
    try:
        text = _chunk(b"tEXt", b"Title\x00" + heading.encode("latin-1"))
    except UnicodeEncodeError:          # PNG's tEXt is Latin-1; anything else goes in an international one
        text = _chunk(b"iTXt", b"Title\x00\x00\x00\x00\x00" + heading.encode("utf-8"))
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
        text,
        _chunk(b"IDAT", zlib.compress(rows, COMPRESS_LEVEL)),
        _chunk(b"IEND", b""),
    ])


def render(curve: PaymentCurve) -> bytes:
    """The chart as PNG bytes (about 40 KB): line, $20,000 line, table prices, Initial Payment shaded."""
    from PIL import Image, ImageDraw

    low, high = float(curve.low), float(curve.high)
    top = max(float(curve.peak), float(ALL_UPFRONT_LIMIT)) * 1.05
    scale = _Scale(low, high, top)
    xticks, yticks = _ticks(low, high), _ticks(0.0, top)
    contingent = any(p.total > p.initial for p in curve.points)
    legend = _legend_entries(curve, contingent)

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    image.paste(_plot_area(curve, scale, xticks, yticks, legend), (LEFT, TOP))
    draw = ImageDraw.Draw(image)
    black = "black"
    draw.rectangle([LEFT - 1, TOP - 1, RIGHT, BOTTOM], outline=black, width=1)      # the spines
    ticks_font, legend_font = _font(10), _font(8)
    tick_end = BOTTOM + TICK_LENGTH
    for v in xticks:
        x = LEFT + scale.x(v) / SCALE
        draw.line([(x, BOTTOM), (x, tick_end)], fill=black, width=1)
        draw.text((x, tick_end + TICK_PAD), money(v), font=ticks_font, fill=black, anchor="mt")
    widest = 0.0
    for v in yticks:
        y = TOP + scale.y(v) / SCALE
        draw.line([(LEFT - TICK_LENGTH, y), (LEFT, y)], fill=black, width=1)
        label = money(v)
        draw.text((LEFT - TICK_LENGTH - TICK_PAD, y), label, font=ticks_font, fill=black, anchor="rm")
        widest = max(widest, draw.textlength(label, font=ticks_font))
    tick_label_bottom = tick_end + TICK_PAD + ticks_font.getbbox("$0123456789")[3]
    draw.text(((LEFT + RIGHT) / 2, tick_label_bottom + LABEL_PAD), "Average Closing Price (dollars per share)",
              font=_font(10), fill=black, anchor="mt")
    ylabel = _vertical(YLABEL, 10)
    image.paste(black, (round(LEFT - TICK_LENGTH - TICK_PAD - widest - LABEL_PAD - ylabel.width),
                        round((TOP + BOTTOM) / 2 - ylabel.height / 2)), ylabel)
    for row, (_, text) in enumerate(legend):
        draw.text((LEFT + _px(8 + 16 + 6.4), TOP + _legend_row_y(row)), text, font=legend_font, fill=black,
                  anchor="lm")
    heading = title(curve)
    lines = [heading]
    if curve.illustrative:
        heading += f"\n{ILLUSTRATIVE}"
        lines.append(ILLUSTRATIVE)
    title_font = _font(10)
    step = _px(10) * 1.2
    for i, line in enumerate(reversed(lines)):
        draw.text((LEFT, TOP - TITLE_PAD - i * step), line, font=title_font,
                  fill=LIMIT_COLOUR if curve.illustrative else black, anchor="ld")
    draw.text((0.01 * WIDTH, HEIGHT - 0.01 * HEIGHT), ESTIMATE_NOTE, font=_font(7), fill=NOTE_COLOUR, anchor="ls")
    return _png_bytes(image, heading)
def _curve_or_none(db: Any, settings: Any, employee_id: str) -> PaymentCurve | None:
    from bot import figures
    from bot.calc.errors import CalcError

    try:
        return figures.chart_points(db, settings, employee_id)
    except (CalcError, LookupError):
        log.info("no chart for %s: the Pricing Grid cannot draw one", employee_id)
        return None


def for_employee(db: Any, settings: Any, employee_id: str, *, separate_process: bool = False) -> bytes | None:
    """The employee's chart as PNG bytes at send time, or None where the grid cannot draw one.

    Reads the database (through bot.figures): call it from a worker thread, never the event loop.
    separate_process: read and draw it in the chart process (bot.charts.pool), as the service does.
    """
    if separate_process:
        from bot.charts import pool
        from bot.db import path_of

        return pool.draw_for(path_of(db), settings, employee_id)
    curve = _curve_or_none(db, settings, employee_id)
    return None if curve is None else render(curve)
