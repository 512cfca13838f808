"""Who is an Eligible Employee and which grants are Eligible Options (Notice Q3, Q5, s1).

Grant eligibility depends on the grant alone; the employee rules are reported
separately. Every failing rule gives its own reason, so a person sees all of
them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bot.calc.records import Employee, Grant


@dataclass(frozen=True, slots=True)
class GrantEligibility:
    grant: Grant
    eligible: bool
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None


@dataclass(frozen=True, slots=True)
class EmployeeEligibility:
    employee: Employee
    eligible: bool
    reasons: tuple[str, ...]          # the employee rules that fail (empty when eligible)
    grants: tuple[GrantEligibility, ...]
    eligible_options: int             # outstanding options of the grants that are Eligible Options


def grant_eligibility(grant: Grant) -> GrantEligibility:
    """Whether one grant is an Eligible Option, with a readable reason for each failing rule."""
    raise NotImplementedError


def employee_eligibility(employee: Employee, grants: Sequence[Grant]) -> EmployeeEligibility:
    """Whether a person is an Eligible Employee, with each grant's own verdict."""
    raise NotImplementedError
