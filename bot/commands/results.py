"""`sotp results [--acp PRICE]`: record the final Average Closing Price and email each participant once.

After the Averaging Period, the final Average Closing Price is recorded (once:
it is final; the same price again only completes the emails). Each Eligible
Employee whose election to participate was on record at the Election Deadline
then gets one email that the Total Payment is available on https://stock, with
their own Total Payment and payout schedule computed exactly as every estimate the assistant gives.
The figures need the imported Pricing Grid; --allow-illustrative sends the
model grid's figures, marked illustrative, for demonstrations only.

Without --acp, the price is the Average Closing Price of the closing prices
imported with `sotp import closes`, once every Available Trading Day's close is in.
With --acp and every close imported, the two must agree: if they disagree, the
command says so with both prices, records nothing and exits with status 2.
"""

from __future__ import annotations

import argparse
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from bot.calc import CalcError, parse_price, validate_assumed_acp
from bot.calc.calendar import NEW_YORK
from bot.commands._clock import add_as_of, as_of
from bot.commands._common import CommandError, common_parent, emit_json, json_parent, settings_from_args
from bot.commands._output import database
from bot.db import write_transaction
from bot.figures import calendar_for, grid_for
from bot.reminders import deadlines
from bot.reminders.run import Planner
from bot.reminders.store import ReminderStore
from bot.timestamps import to_db

MARKET_CLOSE = time(16, 0)   # the last Available Trading Day's closing price is known after 4:00 PM New York time


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "results", help="record the final Average Closing Price and email each participant their Total Payment",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parent(), json_parent()])
    parser.add_argument("--acp", metavar="PRICE",
                        help="the final Average Closing Price, to 1/10,000 of a dollar (e.g. 25.5720); default: the "
                             "Average Closing Price of the imported closes, once all are in (if both are there "
                             "and they disagree, nothing is recorded and the exit status is 2)")
    parser.add_argument("--allow-illustrative", action="store_true",
                        help="send figures from the model grid when no Pricing Grid is imported (demonstrations)")
    parser.add_argument("--dry-run", action="store_true", help="check and count; record and enqueue nothing")
    add_as_of(parser, "record the results")
    parser.set_defaults(func=run)


def _price(db: Any, settings: Any, now: datetime, given: Decimal | None) -> tuple[Decimal, str]:
    """The price to record and where it came from: "acp" (the flag) or "closes" (the imported closes)."""
    from bot import tracking

    try:
        state = tracking.tracker(db, settings, now).state
    except CalcError as exc:
        raise CommandError(str(exc)) from exc
    from_closes = state.final_average
    if given is None:
        if from_closes is None:
            raise CommandError(f"no --acp given, and the imported closes are not complete ({state.counted} of "
                               f"{len(state.trading_days)} Available Trading Days as of {to_db(now)}): import "
                               "them all with `sotp import closes FILE.csv`, or give --acp PRICE")
        return from_closes, "closes"
    if from_closes is not None and from_closes != given:
        raise CommandError(f"the two prices disagree: --acp ${given:f}, but the Average Closing Price of the "
                           f"{state.counted} imported closes is ${from_closes:f}; nothing was recorded. Check "
                           "the closes (`sotp track`) and the price, then run again with the right one")
    return given, "acp"


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    now = as_of(args)
    given = None
    if args.acp is not None:
        try:
            given = validate_assumed_acp(parse_price(args.acp))
        except CalcError as exc:
            raise CommandError(str(exc)) from exc
    db = database(args, settings)
    try:
        acp, source = _price(db, settings, now, given)
        version, _ = deadlines.resolve(db, settings, now, record=not args.dry_run)
        effective = deadlines.effective_settings(settings, version)
        try:
            calendar = calendar_for(effective)
        except CalcError as exc:
            raise CommandError(str(exc)) from exc
        if calendar.terminated:
            raise CommandError(f"the Averaging Period has {calendar.available_trading_days} Available Trading Days: "
                               "with five or fewer the Program terminates and no payment is made (Q6)")
        ends = datetime.combine(calendar.averaging_end, MARKET_CLOSE, tzinfo=NEW_YORK)
        if now < ends:
            raise CommandError(f"the Averaging Period ends with the close on {calendar.averaging_end.isoformat()} "
                               f"({ends.isoformat()}); the final Average Closing Price is recorded after it")
        if grid_for(db, calendar).illustrative and not args.allow_illustrative:
            raise CommandError("no Pricing Grid is imported, so the Total Payments would come from the illustrative "
                               "model grid: import it with `sotp import grid FILE.csv` (or pass "
                               "--allow-illustrative for a demonstration)")
        store = ReminderStore(db)
        already = store.results()
        if already is not None and already.average_closing_price != acp:
            raise CommandError(f"the final Average Closing Price ${already.average_closing_price:f} was recorded at "
                               f"{to_db(already.recorded_at)}; it is final and is not replaced")
        if already is None and not args.dry_run:
            with write_transaction(db):
                if store.results() is None:
                    store.record_results(acp, now, version.version)
        report = Planner(db, settings).run(now, dry_run=args.dry_run, parts=("results",), force=True,
                                           results_acp=acp)
    finally:
        db.close()
    emails = report.counts.get("results", {}).get("email", 0)
    if args.json:
        emit_json({"average_closing_price": f"{acp:f}", "source": source, "recorded": already is None and not args.dry_run,
                   "already_recorded": already is not None, "dry_run": args.dry_run,
                   "deadline_version": version.version, "emails": emails, "enqueued": report.enqueued,
                   "errors": report.errors})
        return 0
    if args.dry_run:
        print(f"Dry run: {emails:,} participants would get the results email at ${acp:f}.")
    elif already is None:
        print(f"Final Average Closing Price ${acp:f} recorded. {report.enqueued:,} results emails enqueued.")
    else:
        print(f"Final Average Closing Price ${acp:f} was already recorded; {report.enqueued:,} results emails "
              "enqueued now (the others were enqueued before).")
    for error in report.errors:
        print(f"Not sent: {error}")
    return 0
