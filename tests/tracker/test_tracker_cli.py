"""sotp import closes, sotp track and sotp results from the closes, through the command line."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.cli import main

from tracker_world import CLOSES, CONFIG, DAYS, RUNNING, after_close, closes_csv

REPO = Path(__file__).resolve().parents[2]


def sotp(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def imported(tmp_path: Path, db_path: Path, config: Path, capsys, n: int = 15) -> Path:
    csv = tmp_path / "closes.csv"
    csv.write_text(closes_csv(n))
    code, _, err = sotp(capsys, "import", "closes", str(csv), "--db", str(db_path), "--config", str(config))
    assert code == 0, err
    return csv


def stored(db_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute("SELECT day, close FROM closes ORDER BY day"))


def test_track_shows_the_running_average_and_the_days_left_after_each_close(tmp_path, db_path, config, capsys):
    imported(tmp_path, db_path, config, capsys)
    seen = []
    for day in DAYS:
        code, out, _ = sotp(capsys, "track", "--json", "--db", str(db_path), "--config", str(config),
                            "--as-of", after_close(day).isoformat())
        state = json.loads(out)
        seen.append((state["running_average"], state["counted"], state["remaining"]))
    assert seen == [(RUNNING[i], i + 1, 14 - i) for i in range(15)]


def test_the_final_average_equals_sotp_acp_on_the_same_file(tmp_path, db_path, config, capsys):
    csv = imported(tmp_path, db_path, config, capsys)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    acp = subprocess.run([sys.executable, "-m", "bot", "acp", str(csv), "--json"], capture_output=True,
                         cwd=REPO, env=env, check=True)
    track = subprocess.run([sys.executable, "-m", "bot", "track", "--json", "--db", str(db_path), "--config",
                            str(config), "--as-of", "2003-12-09T09:00:00-05:00"], capture_output=True, cwd=REPO,
                           env=env, check=True)
    final = json.loads(track.stdout)
    assert json.loads(acp.stdout)["average_closing_price"] == final["average_closing_price"] == "25.4154"
    assert (final["phase"], final["complete"]) == ("after", True)


def test_track_for_an_employee_gives_the_total_at_the_running_average_with_the_notices_words(
        tmp_path, db_path, config, capsys):
    imported(tmp_path, db_path, config, capsys, n=9)
    code, out, _ = sotp(capsys, "track", "--employee", "E1", "--db", str(db_path), "--config", str(config),
                        "--as-of", after_close(DAYS[8]).isoformat())
    assert code == 0
    # $25.13: 1,000 x (0.50 + 0.20 x 5.13) + 2,000 x (0.10 + 0.05 x 5.13) = 1,526.00 + 713.00
    assert "Your Total Payment at the running average of $25.1300: $2,239.00 (pre-tax, U.S. dollars)" in out
    assert "Available Trading Days counted: 9 of 15; remaining: 6." in out
    assert ("> The actual Total Payment can only be determined after the Averaging Period, when the Average "
            "Closing Price is known.") in out


def test_a_refused_file_names_each_bad_line_and_stores_nothing(tmp_path, db_path, tmp_path_factory, capsys):
    config = tmp_path / "disrupted.toml"
    config.write_text(CONFIG.format(extra="disrupted_days = [2003-11-19]"))
    csv = tmp_path / "bad.csv"
    csv.write_text(closes_csv(rows=["2003-11-14,25.01", "2003-11-15,25.02", "2003-11-27,25.00",
                                    "2003-11-19,25.10", "2003-11-14,25.03", "2003-11-13,24.90",
                                    "2003-12-10,26.00"]))
    code, _, err = sotp(capsys, "import", "closes", str(csv), "--db", str(db_path), "--config", str(config))
    assert code == 2
    assert err.splitlines()[1:] == [
        "  line 3: 2003-11-15 is a Saturday, not a trading day",
        "  line 4: 2003-11-27 is a Nasdaq holiday (Thanksgiving Day), not a trading day",
        "  line 5: 2003-11-19 is a day of market disruption: not an Available Trading Day (Section 1)",
        "  line 6: 2003-11-14 already appears on line 2",
        "  line 7: 2003-11-13 is before the Averaging Period, which starts on 2003-11-14",
        "  line 8: 2003-12-10 is after the Averaging Period, which ends on 2003-12-09",
    ]
    assert stored(db_path) == []


def test_a_gap_in_the_closes_is_refused(tmp_path, db_path, config, capsys):
    csv = tmp_path / "gap.csv"
    csv.write_text(closes_csv(rows=["2003-11-14,25.01", "2003-11-18,25.00"]))
    code, _, err = sotp(capsys, "import", "closes", str(csv), "--db", str(db_path), "--config", str(config))
    assert code == 2
    assert "  line 3: the closes before 2003-11-18 lack Available Trading Day(s) 2003-11-17" in err


def test_a_dry_run_writes_nothing_and_a_shorter_file_needs_replace(tmp_path, db_path, config, capsys):
    csv = tmp_path / "closes.csv"
    csv.write_text(closes_csv(9))
    code, out, _ = sotp(capsys, "import", "closes", str(csv), "--dry-run", "--db", str(db_path), "--config",
                        str(config))
    assert (code, stored(db_path)) == (0, [])
    assert "0 closing prices stored now, 9 closing prices in the file: 9 added" in out
    imported(tmp_path, db_path, config, capsys, n=9)
    csv.write_text(closes_csv(2))
    code, _, err = sotp(capsys, "import", "closes", str(csv), "--db", str(db_path), "--config", str(config))
    assert code == 2 and "would remove 7 of the 9 stored closes" in err
    code, _, _ = sotp(capsys, "import", "closes", str(csv), "--replace", "--db", str(db_path), "--config",
                      str(config))
    assert (code, stored(db_path)) == (0, [(DAYS[0].isoformat(), CLOSES[0]), (DAYS[1].isoformat(), CLOSES[1])])


def test_results_takes_the_average_closing_price_from_the_imported_closes(tmp_path, db_path, config, capsys):
    imported(tmp_path, db_path, config, capsys)
    code, out, _ = sotp(capsys, "results", "--dry-run", "--json", "--db", str(db_path), "--config", str(config),
                        "--as-of", "2003-12-09T09:00:00-05:00")
    result = json.loads(out)
    assert (code, result["average_closing_price"], result["source"]) == (0, "25.4154", "closes")


def test_results_says_when_acp_disagrees_with_the_closes_and_records_nothing(tmp_path, db_path, config, capsys):
    imported(tmp_path, db_path, config, capsys)
    code, _, err = sotp(capsys, "results", "--acp", "25.4200", "--db", str(db_path), "--config", str(config),
                        "--as-of", "2003-12-09T09:00:00-05:00")
    assert code == 2
    assert err.strip() == ("sotp: error: the two prices disagree: --acp $25.4200, but the Average Closing Price "
                           "of the 15 imported closes is $25.4154; nothing was recorded. Check the closes "
                           "(`sotp track`) and the price, then run again with the right one")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == 0


def test_results_without_acp_needs_every_close(tmp_path, db_path, config, capsys):
    imported(tmp_path, db_path, config, capsys, n=14)
    code, _, err = sotp(capsys, "results", "--db", str(db_path), "--config", str(config),
                        "--as-of", "2003-12-09T09:00:00-05:00")
    assert code == 2
    assert "the imported closes are not complete (14 of 15 Available Trading Days" in err
