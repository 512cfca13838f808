"""The chart of a Total Payment against the Average Closing Price: its points, its text, its PNG."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot import figures
from bot.calc import TABLE_PRICES, CalcError
from bot.charts import png, text
from bot.cli import main

D = Decimal
REPO = Path(__file__).resolve().parents[2]


def test_the_points_are_every_breakpoint_in_range_the_ends_the_table_prices_and_the_bend_at_20000(db, settings):
    curve = figures.chart_points(db, settings, "E1")
    assert [p.price for p in curve.points] == [D("15.00"), D("20.00"), *TABLE_PRICES, D("33.3674"), D("40.00")]
    assert (curve.low, curve.high, curve.table_prices, curve.illustrative) == (D("15.00"), D("40.00"),
                                                                               TABLE_PRICES, False)


def test_each_point_is_the_total_payment_figures_gives_at_that_price(db, settings):
    curve = figures.chart_points(db, settings, "E1")
    for point in curve.points:
        assert point.total == figures.estimate_for(db, settings, "E1", point.price).total_payment, point.price


def test_the_initial_payment_part_is_all_of_a_total_up_to_20000_and_20000_above_it(db, settings):
    curve = figures.chart_points(db, settings, "E1")
    assert [(p.total, p.initial) for p in curve.points[-3:]] == [
        (D("15360.00"), D("15360.00")), (D("20000.10"), D("20000.00")), (D("33000.00"), D("20000.00"))]


def test_a_total_between_two_points_is_on_the_line_between_them(db, settings):
    curve = figures.chart_points(db, settings, "E1")
    assert curve.total_at(D("17.50")) == D("2170.00")
    assert figures.estimate_for(db, settings, "E1", D("17.50")).total_payment == D("2170.00")


def test_an_employee_whose_series_the_grid_does_not_price_gets_no_chart(db, settings):
    with pytest.raises(CalcError):
        figures.chart_points(db, settings, "E2")
    assert text.for_reply(db, settings, "E2") is None
    assert png.for_employee(db, settings, "E2") is None


def test_the_text_chart_of_a_fixed_employee(db, settings):
    assert text.render(figures.chart_points(db, settings, "E1")) == "\n".join([
        "Total Payment of E1, Average Closing Price $15.00 to $40.00",
        "$33,000 |                                                ***",
        "        |                                          ******",
        "$20,000 |------------------------------------******---------",
        "        |                               *o***",
        "        |                       *o*o*o*o",
        "        |           *****o*o*o*o",
        "     $0 |***********",
        "        +---------------------------------------------------",
        "         $15            $23             $31               $40",
        "* Total Payment   - $20,000.00   o the Employee Election Tool's table prices",
    ])


def ihdr(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def test_the_png_is_a_small_valid_picture_made_without_a_display(db_path, tmp_path):
    """In a process of its own with no DISPLAY: matplotlib draws on Agg and pyplot is never loaded."""
    out = tmp_path / "chart.png"
    script = (
        "import sys\n"
        "from bot import figures\nfrom bot.charts import png\nfrom bot.config import load_settings\n"
        "from bot.store import open_db\n"
        f"settings = load_settings().with_overrides(db_path={str(db_path)!r})\n"
        "db = open_db(settings.db_path)\n"
        "data = png.render(figures.chart_points(db, settings, 'E1'))\n"
        f"open({str(out)!r}, 'wb').write(data)\n"
        "print('matplotlib.pyplot' in sys.modules, data == png.render(figures.chart_points(db, settings, 'E1')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND",
                                                            "SOTP_CONFIG", "SOTP_DB")}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]     # no pyplot; the same points give the same bytes
    data = out.read_bytes()
    assert ihdr(data) == (800, 480)
    assert len(data) < 100_000


def test_the_service_draws_the_same_chart_in_its_chart_process(db, settings):
    from bot.charts import pool

    try:
        assert png.for_employee(db, settings, "E1", separate_process=True) == png.render(
            figures.chart_points(db, settings, "E1"))
    finally:
        pool.shutdown()


def test_the_chart_process_draws_nothing_for_an_employee_the_grid_does_not_price(db, settings):
    from bot.charts import pool

    try:
        assert png.for_employee(db, settings, "E2", separate_process=True) is None
    finally:
        pool.shutdown()


def test_the_chart_is_drawn_in_the_service_when_the_chart_process_cannot_run(db, settings, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from bot.charts import pool

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("the chart process died")

    monkeypatch.setattr(pool, "_executor", lambda: Broken())
    assert png.for_employee(db, settings, "E1", separate_process=True) == png.render(
        figures.chart_points(db, settings, "E1"))


def test_estimate_chart_prints_the_text_chart_under_the_estimate(db_path, capsys):
    assert main(["estimate", "--employee", "E1", "--price", "27", "--chart", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("* Total Payment   - $20,000.00   o the Employee Election Tool's table prices")
    assert "\n\nTotal Payment of E1, Average Closing Price $15.00 to $40.00\n$33,000 |" in out


def test_estimate_chart_json_adds_the_points(db_path, capsys):
    assert main(["estimate", "--employee", "E1", "--price", "27", "--chart", "--json", "--db", str(db_path)]) == 0
    chart = json.loads(capsys.readouterr().out)["chart"]
    assert (chart["low"], chart["high"], chart["illustrative"], len(chart["points"])) == ("15.00", "40.00", False, 13)
    assert chart["points"][-2] == {"price": "33.3674", "total_payment": "20000.10", "initial_payment": "20000.00"}


def test_estimate_chart_png_writes_the_picture(db_path, tmp_path, capsys):
    target = tmp_path / "mine.png"
    assert main(["estimate", "--employee", "E1", "--price", "27", "--chart-png", str(target),
                 "--db", str(db_path)]) == 0
    assert ihdr(target.read_bytes()) == (800, 480)
    assert "Total Payment of E1" not in capsys.readouterr().out


def test_estimate_chart_png_to_a_folder_that_does_not_exist_is_a_one_line_error(db_path, tmp_path, capsys):
    status = main(["estimate", "--employee", "E1", "--price", "27", "--chart-png", str(tmp_path / "no" / "x.png"),
                   "--db", str(db_path)])
    assert status == 2
    assert capsys.readouterr().err.strip() == f"sotp: error: cannot write {tmp_path / 'no' / 'x.png'}: No such file or directory"


def test_ask_shows_the_text_chart_under_an_estimate_answer(db_path, capsys):
    assert main(["ask", "--employee", "E1", "what would I get at $27?", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "Average Closing Price of $27.00:" in out and "$9,320.00 (pre-tax" in out   # wrapped to the width
    assert "\n  Total Payment of E1, Average Closing Price $15.00 to $40.00\n  $33,000 |" in out


def test_ask_json_carries_no_chart_and_a_general_answer_none(db_path, capsys):
    assert main(["ask", "--employee", "E1", "--json", "what would I get at $27?", "--db", str(db_path)]) == 0
    assert "Total Payment of E1" not in json.loads(capsys.readouterr().out)["text"]
    assert main(["ask", "--employee", "E1", "when is the election deadline?", "--db", str(db_path)]) == 0
    assert "Total Payment of E1" not in capsys.readouterr().out


def test_chat_shows_the_text_chart_under_an_estimate_answer(db_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"what would I get at $27?\n")))
    assert main(["chat", "--employee", "E1", "--db", str(db_path)]) == 0
    assert "\n  Total Payment of E1, Average Closing Price $15.00 to $40.00\n  $33,000 |" in capsys.readouterr().out


def test_a_chart_on_the_model_grid_says_it_is_illustrative(db, settings):
    import dataclasses

    curve = dataclasses.replace(figures.chart_points(db, settings, "E1"), illustrative=True)
    assert text.title(curve) == "Total Payment of E1, Average Closing Price $15.00 to $40.00 (illustrative)"
    assert text.render(curve).splitlines()[0].endswith("(illustrative)")
    assert b"Illustrative: model prices" in png.render(curve)     # the PNG's Title text chunk


def test_the_chart_process_started_and_warmed_at_start_up_draws_the_same_chart(db, db_path, settings):
    from bot.charts import pool

    try:
        warmed = pool.start(db_path, settings)
        assert warmed is not None and warmed.result(timeout=120) is None
        assert png.for_employee(db, settings, "E1", separate_process=True) == png.render(
            figures.chart_points(db, settings, "E1"))
    finally:
        pool.shutdown()


def test_a_chart_process_that_cannot_start_at_start_up_leaves_charts_drawn_in_the_service(db, db_path, settings,
                                                                                          monkeypatch):
    from bot.charts import pool

    class Cannot:
        def submit(self, *args, **kwargs):
            raise OSError("no processes left")

    monkeypatch.setattr(pool, "_executor", lambda: Cannot())
    assert pool.start(db_path, settings) is None
    assert png.for_employee(db, settings, "E1", separate_process=True) == png.render(
        figures.chart_points(db, settings, "E1"))


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap an orphan)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_chart_process_leaves_when_the_service_that_started_it_is_killed_with_sigkill():
    import signal
    import time

    from bot.charts import pool

    script = ("import os, time\nfrom bot.charts import pool\n"
              "if __name__ == '__main__':\n"
              "    print(pool._executor().submit(os.getpid).result(), flush=True)\n"
              "    time.sleep(120)\n")
    service = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(service.stdout.readline())
        assert _running(worker)
        service.send_signal(signal.SIGKILL)
        service.wait(10)
        deadline = time.monotonic() + 10 * pool.PARENT_POLL_SECONDS
        while _running(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(worker)
    finally:
        service.kill()
        service.stdout.close()


def test_the_png_is_rgb_at_100_dpi_with_the_heading_as_its_title(db, settings):
    import io

    from PIL import Image

    curve = figures.chart_points(db, settings, "E1")
    picture = Image.open(io.BytesIO(png.render(curve)))
    picture.load()
    assert (picture.format, picture.mode, picture.size) == ("PNG", "RGB", (800, 480))
    assert [round(d) for d in picture.info["dpi"]] == [100, 100]
    assert picture.info["Title"] == "Total Payment for E1 at an Average Closing Price from $15.00 to $40.00"


def test_a_heading_outside_latin_1_is_kept_whole_in_the_title(db, settings):
    import dataclasses
    import io

    from PIL import Image

    curve = dataclasses.replace(figures.chart_points(db, settings, "E1"), employee_id="E1 Łukasz 李")
    picture = Image.open(io.BytesIO(png.render(curve)))
    picture.load()
    assert picture.info["Title"] == "Total Payment for E1 Łukasz 李 at an Average Closing Price from $15.00 to $40.00"


def test_text_drawn_with_kept_masks_has_the_pixels_of_a_plain_font():
    """The same label at two sub-pixel starts, twice each: the kept masks change no pixel."""
    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    plain = ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf", png._font(10).size)

    def drawn(font: object) -> bytes:
        image = Image.new("RGB", (200, 60), "white")
        draw = ImageDraw.Draw(image)
        for _ in range(2):
            draw.text((10.0, 20.0), "$12,500", font=font, fill="black", anchor="lm")
            draw.text((100.4, 40.7), "$12,500", font=font, fill="black", anchor="lm")
        return image.tobytes()

    assert isinstance(png._font(10), ImageFont.FreeTypeFont) and type(png._font(10)) is not ImageFont.FreeTypeFont
    assert drawn(png._font(10)) == drawn(plain)
    assert png._font(10).getmask2.cache_info().hits >= 2
