"""`sotp calendar`: the program calendar for the configured (or given) deadline and Averaging Period start."""

from __future__ import annotations

import argparse
from typing import Any

from bot.calc import ProgramCalendar
from bot.commands._common import calendar_parent, config_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import calc_errors
from bot.figures import calendar_for


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "calendar", help="Election Deadline, Averaging Period, payment and vesting dates",
        description="The program calendar (Notice Q6, Q11, Q21, Sections 1, 2, 7): Election Deadline, "
                    "Averaging Period, Available Trading Days, JPMorgan's payment date, vesting dates "
                    "and the extension of expiration dates.",
        parents=[config_parent(), json_parent(), calendar_parent()])
    parser.set_defaults(func=run)


def as_json(cal: ProgramCalendar) -> dict[str, Any]:
    return {
        "election_deadline": cal.election_deadline.isoformat(),
        "averaging_start": cal.averaging_start.isoformat(),
        "averaging_end": cal.averaging_end.isoformat(),
        "available_trading_days": cal.available_trading_days,
        "terminated": cal.terminated,
        "jpm_payment_date": cal.jpm_payment_date.isoformat(),
        "vesting_dates": [d.isoformat() for d in cal.vesting_dates],
        "expiry_extension_days": cal.expiry_extension_days,
    }


def _day(d: Any) -> str:
    return f"{d:%a %Y-%m-%d}"


def as_text(cal: ProgramCalendar) -> str:
    deadline = cal.election_deadline
    start_note = ("the latest start the Notice allows" if cal.start_is_latest_allowed
                  else "as announced")
    lines = [
        f"Election Deadline          {_day(cal.deadline_date)}, midnight New York City/Eastern Time "
        f"({deadline.isoformat()})",
        f"Averaging Period           {_day(cal.averaging_start)} ({start_note}) to {_day(cal.averaging_end)}",
        f"Available Trading Days     {cal.available_trading_days}",
    ]
    if cal.terminated:
        lines.append("                           Five or fewer: the Program terminates and no payment is made.")
    lines += [
        f"JPMorgan payment date      {_day(cal.jpm_payment_date)} (third business day after the Averaging Period)",
        f"Contingent vesting dates   {_day(cal.vesting_dates[0])} and {_day(cal.vesting_dates[1])} "
        "(two and three years from the last day of the Averaging Period)",
        f"Expiration extension       {cal.expiry_extension_days} calendar days (from 2003-12-05 to the last "
        "day of the Averaging Period)",
        "",
        "Available Trading Days: " + ", ".join(f"{d:%m-%d}" for d in cal.trading_days),
    ]
    return "\n".join(lines)


@calc_errors
def run(args: argparse.Namespace) -> int:
    cal = calendar_for(settings_from_args(args))
    if args.json:
        emit_json(as_json(cal))
    else:
        print(as_text(cal))
    return 0
