"""Election records (imported from Stock Services' data) and what they mean for the employee.

The assistant never takes an election; it only reports what the records say, in
the Employee Election Tool's own words, and what is still missing: in the
two-step countries an online election counts only once Mellon Investor Services
has RECEIVED the signed form by the Election Deadline (Notice Q22, s5, s6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Sequence

from bot.calc.calendar import election_deadline_at

ACTIONS: tuple[str, ...] = ("participate", "withdraw")
METHODS: tuple[str, ...] = ("online", "fax", "mail")

Standing = Literal["participating", "withdrawn", "pending_form", "late", "none"]


@dataclass(frozen=True, slots=True)
class ElectionRecord:
    employee_id: str
    action: str                       # participate | withdraw
    method: str                       # online | fax | mail
    submitted_at: datetime            # aware
    signed_form_received_at: datetime | None


@dataclass(frozen=True, slots=True)
class ElectionStatus:
    standing: Standing
    latest: ElectionRecord | None
    two_step: bool
    explanation: str                  # one sentence, for the reply


def election_status(records: Sequence[ElectionRecord], *, two_step: bool, deadline: date) -> ElectionStatus:
    """The standing of the latest Submitted Election: the last one received before the deadline governs."""
    cutoff = election_deadline_at(deadline)
    if not records:
        return ElectionStatus("none", None, two_step, "There is no election on record for you.")
    on_time = [r for r in records if r.submitted_at < cutoff]
    latest = max(on_time or records, key=lambda r: r.submitted_at)
    what = "participate" if latest.action == "participate" else "withdraw"
    if not on_time:
        return ElectionStatus("late", latest, two_step,
                              f"Your election to {what} is recorded after the Election Deadline: "
                              "after the deadline no elections to participate or to withdraw are accepted.")
    needs_form = two_step and latest.method == "online"
    if needs_form and latest.signed_form_received_at is None:
        return ElectionStatus("pending_form", latest, two_step,
                              f"Your election to {what} is pending the receipt of your signed hardcopy "
                              "confirmation form by Mellon Investor Services.")
    if needs_form and latest.signed_form_received_at is not None and latest.signed_form_received_at >= cutoff:
        return ElectionStatus("late", latest, two_step,
                              "Mellon Investor Services received your signed form after the Election Deadline; "
                              "the Notice requires it to be RECEIVED by the Election Deadline.")
    standing: Standing = "participating" if latest.action == "participate" else "withdrawn"
    return ElectionStatus(standing, latest, two_step, f"Your election to {what} is recorded.")
