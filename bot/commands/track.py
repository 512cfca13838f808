"""`sotp track`: where the Averaging Period stands, from the closing prices imported so far.

The running average of the closes so far (their mean rounded up to the next
1/10,000 of a dollar, as the Average Closing Price is), the Available Trading Days
counted and remaining, and the next one; before the period, when it starts; after
it, the Average Closing Price of all its closes. Load the closes with
`sotp import closes FILE.csv`. --employee adds that employee's Total Payment at the
running average, with the Notice's words on why the final price is not known until
the period ends. The moment is the assistant's clock (the [clock] setting), or --as-of.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot import tracker_texts, tracking
from bot.calc import CalcError, NotEligible
from bot.commands._clock import add_as_of
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import database
from bot.figures import UnknownEmployee, employee_id


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "track", help="the Averaging Period so far: running average, trading days counted and remaining",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent()])
    parser.add_argument("--employee", metavar="ID", help="add this employee's Total Payment at the running average")
    add_as_of(parser, "show the Averaging Period")
    parser.set_defaults(func=run)


def _now(args: argparse.Namespace, settings: Any) -> Any:
    if args.as_of is not None:
        return args.as_of
    from bot.clock import from_settings
    from bot.config import ConfigError

    try:
        return from_settings(settings)()
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    now = _now(args, settings)
    db = database(args, settings)
    try:
        try:
            found = tracking.tracker(db, settings, now)
        except CalcError as exc:
            raise CommandError(str(exc)) from exc
        state = found.state
        personal: dict[str, Any] | None = None
        estimate = None
        if args.employee:
            try:
                eid = employee_id(db, args.employee)
                estimate = tracking.payment_at_average(db, settings, eid, state)
                personal = {"employee_id": eid, "total_payment": None if estimate is None
                            else f"{estimate.total_payment:.2f}", "illustrative": bool(estimate and estimate.illustrative)}
            except UnknownEmployee as exc:
                raise CommandError(str(exc)) from exc
            except NotEligible as exc:
                raise CommandError(f"{args.employee}: not an Eligible Employee ({'; '.join(exc.reasons)})") from exc
            except CalcError as exc:
                raise CommandError(str(exc)) from exc
    finally:
        db.close()
    t = tracker_texts.default_texts()
    if args.json:
        out: dict[str, Any] = {
            "as_of": now.isoformat(), "phase": state.phase,
            "start": state.start.isoformat(), "end": state.end.isoformat(),
            "trading_days": len(state.trading_days), "counted": state.counted, "remaining": state.remaining,
            "complete": state.complete,
            "running_average": None if state.running_average is None else f"{state.running_average:f}",
            "average_closing_price": None if state.final_average is None else f"{state.final_average:f}",
            "next_day": state.next_day.isoformat() if state.next_day else None,
            "missing": [d.isoformat() for d in state.missing],
            "closes": [{"date": d.isoformat(), "close": f"{c:f}"} for d, c in state.closes],
        }
        if personal is not None:
            personal["caveat"] = [text for _, text in t.quoted("caveat")]
            out["employee"] = personal
        emit_json(out)
        return 0
    print("\n".join(tracker_texts.state_lines(t, state, now)))
    if args.employee:
        print()
        if estimate is None:
            print("No close is in yet: there is no running average to compute a Total Payment at.")
        else:
            print("\n".join(tracker_texts.personal_lines(t, state, estimate)))
            if not state.complete:
                print()
                print("\n\n".join(tracker_texts.caveat_parts(t)))
    return 0
