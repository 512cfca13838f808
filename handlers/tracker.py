"""The Averaging Period tracker in the conversation: where the average stands, and "track on|off".

The answer is the same as `sotp track`: before the period, when it starts; during it,
the running average of the closes imported so far and the days counted and remaining;
after it, the Average Closing Price of its closes. An identified employee who asks
about their own payment also gets their Total Payment at that average, privately,
with the Notice's words on why the final price is not known until the period ends.
"track on" / "track off" (any channel; `/sotp track on|off` in Slack comes here too)
turns the daily update on or off; the channel it was said in is where updates go.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from bot import tracker_texts, tracking
from bot.calc import CalcError, NotEligible
from bot.calc.records import Employee
from bot.config import Settings
from bot.db import Database
from bot.preferences import Preferences
from handlers.reply import Reply

# Words that make a tracker question about the asker's own payment.
_FIRST_PERSON = re.compile(r"(?<!\w)(?:my|mine|me|i|i'm|i'd|i'll|myself)(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _opt_pattern() -> re.Pattern[str]:
    return re.compile(tracker_texts.default_texts().text("opt.pattern"), re.IGNORECASE)


@lru_cache(maxsize=1)
def _cues() -> re.Pattern[str]:
    return re.compile(tracker_texts.default_texts().text("reply.cues"), re.IGNORECASE)


def asks_as_it_stands(text: str) -> bool:
    """The message asks about the Averaging Period as it stands (so far, now, left, final ...)."""
    return bool(_cues().search(text.replace("\u2019", "'")))


def opt_choice(text: str) -> bool | None:
    """True for "track on", False for "track off" (the first line of the message: a signature may follow)."""
    lines = [line for line in text.replace("\u2019", "'").splitlines() if line.strip()]
    found = _opt_pattern().match(lines[0]) if lines else None
    return None if found is None else found["choice"].lower() == "on"


def set_tracking(db: Database, employee: Employee | None, on: bool, channel: str,
                 now: datetime) -> Reply:
    """Record the choice (inside the turn's transaction) and say what it means."""
    t = tracker_texts.default_texts()
    if employee is None:
        return Reply("other", (t.text("opt.unknown"),), (), 1.0, sub_intent="tracking")
    prefs = Preferences(db)
    prefs.set(employee.employee_id, "tracking", on, now)
    if on:
        slack = channel == "slack" and employee.slack_user_id is not None
        prefs.set(employee.employee_id, "tracking_slack", slack, now)
        text = t.text("opt.on", where=t.text("opt.where_slack" if slack else "opt.where_email"))
    else:
        text = t.text("opt.off")
    return Reply("other", (text,), (), 1.0, privacy="private", sub_intent="tracking")


def answer(db: Database, settings: Settings, employee: Employee | None, text: str,
           now: datetime) -> Reply:
    """The tracker's reply: the period's state; the asker's own Total Payment when they ask for it."""
    t = tracker_texts.default_texts()
    sections = tuple(t.raw["reply"]["sections"])
    try:
        found = tracking.tracker(db, settings, now)
    except CalcError as exc:
        return Reply("estimate", (t.text("personal.error", average="the running average", error=str(exc)),),
                     sections, 0.5, sub_intent="tracker")
    state = found.state
    parts = tracker_texts.state_lines(t, state)
    privacy = "public"
    if _FIRST_PERSON.search(text) and state.running_average is not None and state.phase != "before":
        if employee is None:
            parts.append(t.text("personal.unknown"))
        else:
            privacy = "private"
            average = tracker_texts.price(state.running_average)
            try:
                result = tracking.payment_at_average(db, settings, employee.employee_id, state)
            except NotEligible:
                parts.append(t.text("personal.not_eligible"))
            except CalcError as exc:
                parts.append(t.text("personal.error", average=average, error=str(exc)))
            else:
                if result is not None:
                    parts += tracker_texts.personal_lines(t, state, result)
    if state.phase != "before" and not state.complete:
        parts += tracker_texts.caveat_parts(t)
    if state.phase == "before":
        parts += [t.text("definition.lead"), *(tracker_texts.blockquote(q) for _, q in t.quoted("definition"))]
    parts.append(t.text("reply.close"))
    if state.phase != "after":
        parts.append(t.text("reply.offer"))
    return Reply("estimate", tuple(parts), sections, 1.0, privacy=privacy, sub_intent="tracker")  # type: ignore[arg-type]
