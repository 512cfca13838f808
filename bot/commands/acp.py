"""`sotp acp CLOSES.csv`: the Average Closing Price of the closing prices in a file.

The file has one row per trading day, `date,close` (a header row is optional).
The ACP is the arithmetic mean of every row's close, rounded UP to the next
1/10,000 of a dollar (Notice Q6). Choosing the days (the Available Trading Days)
is the caller's job: every row of the file counts.
"""

from __future__ import annotations

import argparse
import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.calc import average_closing_price
from bot.commands._common import CommandError, emit_json, json_parent
from bot.commands._output import calc_errors

_PRICE = re.compile(r"^\$?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_LISTED = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "acp", help="the Average Closing Price of the closing prices in a CSV file",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[json_parent()])
    parser.add_argument("file", metavar="CLOSES.csv", help="CSV with date,close rows (YYYY-MM-DD, dollars)")
    parser.set_defaults(func=run)


def read_closes(path: Path) -> list[tuple[date, Decimal]]:
    """Every row's (date, close); all problems reported together with their line numbers."""
    rows: list[tuple[date, Decimal]] = []
    problems: list[str] = []
    seen: dict[date, int] = {}
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read the file ({exc.strerror})") from None
    with fh:
        reader = csv.reader(fh)
        last = 0
        first = True
        try:
            for record in reader:
                line, last = last + 1, reader.line_num
                cells = [c.strip() for c in record]
                if not any(cells):
                    continue
                if first and cells[0].lower() == "date":
                    first = False
                    continue  # header row
                first = False
                if len(cells) < 2:
                    problems.append(f"line {line}: expected date,close")
                    continue
                text_date, text_close = cells[0], cells[1]
                try:
                    if not _DATE.match(text_date):
                        raise ValueError
                    day = date.fromisoformat(text_date)
                except ValueError:
                    problems.append(f"line {line}: date {text_date!r} is not a date YYYY-MM-DD")
                    continue
                if not _PRICE.match(text_close) or Decimal(text_close.lstrip("$")) <= 0:
                    problems.append(f"line {line}: close {text_close!r} is not a positive price")
                    continue
                if day in seen:
                    problems.append(f"line {line}: {day.isoformat()} already appears on line {seen[day]}")
                    continue
                seen[day] = line
                rows.append((day, Decimal(text_close.lstrip("$"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{path}: not a readable CSV file ({exc})") from None
    if problems:
        listed = problems[:MAX_LISTED]
        more = [f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else []
        raise CommandError("\n".join([f"{path}: {len(problems)} problem(s)", *listed, *more]))
    if not rows:
        raise CommandError(f"{path}: no closing prices in the file")
    return rows


@calc_errors
def run(args: argparse.Namespace) -> int:
    rows = read_closes(Path(args.file))
    acp = average_closing_price([close for _, close in rows])
    if args.json:
        emit_json({"average_closing_price": f"{acp:f}", "days": len(rows)})
    else:
        first, last = min(d for d, _ in rows), max(d for d, _ in rows)
        print(f"Average Closing Price: ${acp:f}")
        print(f"  mean of {len(rows)} closing prices from {first.isoformat()} to {last.isoformat()}, "
              "rounded up to the next 1/10,000 of a dollar")
    return 0
