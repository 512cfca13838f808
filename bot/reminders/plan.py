"""The reminder planner's rules, as pure functions: which reminder is due, for whom, and what it replaces.

Nothing here reads a database or a clock; bot.reminders.run hands the facts in.

- A deadline version is one Election Deadline the assistant has known: version 1
  is the Notice's (midnight New York time at the end of November 12, 2003, from
  the start of the Election Period on October 15, 2003); each extension adds one
  (Notice Q21, s7), effective from when it was recorded.
- The timed kinds of a version are due at their offset before its deadline,
  if that moment is on or after the version took effect: the reminders still
  ahead when the deadline moved are planned against the new one; those already
  behind it are not sent again.
- A version after the first also has an `extension` announcement, due when it
  took effect, for every Eligible Employee without a completed election.
- Nothing is due at or after the deadline.
- Several kinds due at once (the service was down): only the latest is sent, the
  earlier ones are recorded as superseded. An extension announcement due at the
  same time as timed reminders is the one sent: it says all they say.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import AbstractSet, Sequence
from zoneinfo import ZoneInfo

from bot.calc.calendar import FIRST_DEADLINE, LAST_DEADLINE, NEW_YORK, election_deadline_at, next_business_day
from bot.calc.records import Employee
from bot.countries import Country
from bot.elections import ElectionStatus
from bot.reminders.settings import EXTENSION, offset_of

# Notice s1: the Election Period begins "on Wednesday, October 15, 2003".
ELECTION_PERIOD_START = date(2003, 10, 15)
ELECTION_PERIOD_START_AT = datetime.combine(ELECTION_PERIOD_START, time(0), tzinfo=NEW_YORK)
# Q21: an extension is announced "no later than 9:00 a.m., New York City/Eastern Time, on the next
# business day following the date the period would have expired if not extended".
ANNOUNCE_BY = time(9, 0)
COMPLETED = frozenset({"participating", "withdrawn"})


@dataclass(frozen=True)
class DeadlineVersion:
    version: int
    deadline: date                  # the date whose end (midnight New York time) is the Election Deadline
    effective_from: datetime        # aware
    source: str                     # notice | config | command
    recorded_at: datetime
    previous: date | None = None    # the deadline this one extended
    note: str | None = None

    @property
    def deadline_at(self) -> datetime:
        return election_deadline_at(self.deadline)


class ExtensionRefused(ValueError):
    """An extension the Notice does not allow; the message says which rule."""


def first_version(now: datetime) -> DeadlineVersion:
    return DeadlineVersion(1, FIRST_DEADLINE, ELECTION_PERIOD_START_AT, "notice", now)


def announce_cutoff(deadline: date) -> datetime:
    """The latest moment an extension of this deadline may be announced (Q21)."""
    return datetime.combine(next_business_day(deadline), ANNOUNCE_BY, tzinfo=NEW_YORK)


def check_extension(current: DeadlineVersion, to: date, now: datetime) -> None:
    """Raise ExtensionRefused unless `to` is an extension the Notice allows at `now`."""
    if to <= current.deadline:
        raise ExtensionRefused(f"{to.isoformat()} is not after the current Election Deadline "
                               f"({current.deadline.isoformat()}): the Election Period may be extended, not shortened")
    if to > LAST_DEADLINE:
        raise ExtensionRefused(f"{to.isoformat()} is after 2003-11-28: the Election Period shall not be "
                               "extended beyond November 28, 2003 (Section 7)")
    cutoff = announce_cutoff(current.deadline)
    if now > cutoff:
        raise ExtensionRefused(
            f"the Election Deadline of {current.deadline.isoformat()} can no longer be extended: an extension "
            f"is announced no later than 9:00 a.m. New York City/Eastern Time on the next business day "
            f"({cutoff.date().isoformat()}) following the date the period would have expired (Q21)")


def extended(current: DeadlineVersion, to: date, now: datetime, source: str,
             note: str | None = None) -> DeadlineVersion:
    check_extension(current, to, now)
    return DeadlineVersion(current.version + 1, to, now, source, now, previous=current.deadline, note=note)


@dataclass(frozen=True)
class Slot:
    kind: str
    due_at: datetime


def slots(version: DeadlineVersion, schedule: Sequence[str]) -> tuple[Slot, ...]:
    """Every reminder of a deadline version, in the order they fall due."""
    out: list[Slot] = []
    if version.version > 1:
        out.append(Slot(EXTENSION, version.effective_from))
    for kind in schedule:
        due_at = version.deadline_at - offset_of(kind)
        if due_at >= version.effective_from:
            out.append(Slot(kind, due_at))
    return tuple(sorted(out, key=lambda s: (s.due_at, s.kind != EXTENSION)))


def due(all_slots: Sequence[Slot], version: DeadlineVersion, now: datetime) -> tuple[Slot, ...]:
    """The slots whose time has come at `now`, in due order; none at or after the deadline."""
    if now >= version.deadline_at:
        return ()
    return tuple(s for s in all_slots if s.due_at <= now)


def next_due(all_slots: Sequence[Slot], version: DeadlineVersion, now: datetime) -> Slot | None:
    later = [s for s in all_slots if s.due_at > now and s.due_at < version.deadline_at]
    return later[0] if later else None


@dataclass(frozen=True)
class Decision:
    send: str | None
    superseded: tuple[str, ...] = ()


NOTHING = Decision(None)


def decide(due_kinds: Sequence[str], logged: AbstractSet[str], *, announce: bool) -> Decision:
    """What one employee gets now, given the kinds due (in due order) and those already recorded.

    announce: whether the employee is in the extension announcement's audience
    (an Eligible Employee without a completed election).
    """
    kinds = [k for k in due_kinds if k != EXTENSION or announce]
    if not kinds:
        return NOTHING
    if EXTENSION in kinds and EXTENSION not in logged:
        return Decision(EXTENSION, tuple(k for k in kinds if k != EXTENSION and k not in logged))
    latest = kinds[-1]
    earlier = tuple(k for k in kinds[:-1] if k not in logged)
    return Decision(None if latest in logged else latest, earlier)


def announces(status: ElectionStatus) -> bool:
    """The extension announcement goes to every Eligible Employee without a completed election."""
    return status.standing not in COMPLETED


# --- confirmations -----------------------------------------------------------------------

NO_RECORD = "none"


def record_fingerprint(status: ElectionStatus) -> str:
    """What is on record for an employee, as a short stable text: a change means a new confirmation."""
    latest = status.latest
    if latest is None:
        return NO_RECORD
    received = latest.signed_form_received_at.isoformat() if latest.signed_form_received_at else "-"
    text = f"{status.standing}|{latest.action}|{latest.method}|{latest.submitted_at.isoformat()}|{received}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def needs_confirmation(fingerprint: str, confirmed: str | None) -> bool:
    """A confirmation is due when what is on record differs from what was last confirmed.

    An employee with nothing on record and nothing confirmed gets none.
    """
    if confirmed is None:
        return fingerprint != NO_RECORD
    return fingerprint != confirmed


def passed(version: DeadlineVersion, now: datetime) -> bool:
    return now >= version.deadline_at



@dataclass(frozen=True)
class Recipient:
    """An Eligible Employee as the planner sees them: who, where, what is on record, which channels."""

    employee: Employee
    country: Country
    zone: ZoneInfo
    status: ElectionStatus
    slack: bool                  # gets Slack reminders (a Slack id, not on leave, not turned off)

    @property
    def on_leave(self) -> bool:
        return self.employee.status == "leave"

    def reminder_channels(self) -> tuple[str, ...]:
        """Email always (the address on record); Slack too unless turned off or on leave of absence."""
        return ("email", "slack") if self.slack and not self.on_leave else ("email",)
