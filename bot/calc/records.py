"""Records the shared calculation module works on.

Importers build them from CSV, the store reads them back from SQLite, and every
channel passes them to the pure functions of bot.calc. Money and prices are
Decimal; counts of options are int.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Literal, TypeVar

WorkerType = Literal["employee", "advisor", "consultant", "director"]
Status = Literal["active", "leave", "terminated"]
GrantType = Literal["NSO", "ISO", "SAR"]
Plan = Literal["1991", "2001", "visio", "sar1997", "navision", "director"]

_T = TypeVar("_T")


def positional_constructor(cls: type[_T]) -> Callable[..., _T]:
    """make(*values) -> cls(*values) for a frozen slots dataclass, every field given, in field order.

    The same object as the dataclass's own __init__ builds (which this requires to be the
    generated one: no __post_init__, no field left out of __init__), for hot paths: that
    __init__ sets each field through object.__setattr__, which costs twice what setting the
    slot directly does (an estimate builds a dozen records, a person read five).
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if (not getattr(cls, "__dataclass_params__").frozen or "__slots__" not in vars(cls)
            or hasattr(cls, "__post_init__") or any(not f.init for f in fields(cls))  # type: ignore[arg-type]
            or not all(n.isidentifier() for n in names)):
        raise TypeError(f"{cls.__name__} is not a frozen slots dataclass with a plain __init__")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{n}": getattr(cls, n).__set__ for n in names})
    body = "".join(f"    set_{n}(o, {n})\n" for n in names)
    exec(f"def make({', '.join(names)}):\n    o = new(cls)\n{body}    return o\n", namespace)
    make: Callable[..., _T] = namespace["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    make.__doc__ = f"{cls.__name__}(*values), its slots set directly (positional_constructor)."
    return make


WORKER_TYPES: tuple[str, ...] = ("employee", "advisor", "consultant", "director")
STATUSES: tuple[str, ...] = ("active", "leave", "terminated")
GRANT_TYPES: tuple[str, ...] = ("NSO", "ISO", "SAR")
PLANS: tuple[str, ...] = ("1991", "2001", "visio", "sar1997", "navision", "director")


@dataclass(frozen=True, slots=True)
class Employee:
    employee_id: str
    name: str
    email: str
    slack_user_id: str | None
    country: str            # canonical name from bot.countries
    level: int              # Employee Level (as of the Election Deadline)
    worker_type: WorkerType
    status: Status          # leave = leave of absence; part-time employees are "active"


@dataclass(frozen=True, slots=True)
class Grant:
    employee_id: str
    grant_number: str       # text: leading zeros matter
    grant_date: date
    grant_type: GrantType
    plan: Plan
    exercise_price: Decimal  # for a SAR: the grant date value
    granted: int
    exercised: int
    cancelled: int
    expiration_date: date
    multi_year_grant: bool

    @property
    def outstanding(self) -> int:
        return self.granted - self.exercised - self.cancelled

    @property
    def series(self) -> "SeriesKey":
        return SeriesKey(self.exercise_price, self.expiration_date, self.multi_year_grant)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """A Series of the Pricing Grid. Decimal('33.0000') == Decimal('33.00') and they hash alike."""

    exercise_price: Decimal
    expiration_date: date
    multi_year_grant: bool

    def describe(self) -> str:
        kind = "Multi-Year Grant" if self.multi_year_grant else "not Multi-Year Grant"
        return f"exercise price ${format_price(self.exercise_price)}, expiring {self.expiration_date.isoformat()}, {kind}"


def format_price(price: Decimal) -> str:
    """At least two decimals, more when the price has them (a SAR's 42.9063)."""
    cents = price.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == price else f"{price.normalize():f}"


def dollar_price(price: Decimal) -> str:
    """format_price with its dollar sign, the sign of a negative price first: "-$3.00", "$42.9063"."""
    return f"-${format_price(-price)}" if price < 0 else f"${format_price(price)}"


@dataclass(frozen=True, slots=True)
class GridPoint:
    series: SeriesKey
    average_closing_price: Decimal
    price_per_option: Decimal
