"""Builders for the records the calculation module works on: one default, overridden per test.

Imported by the tests as `calc_builders` (pytest puts this folder on sys.path)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from bot.calc.records import Employee, Grant, GridPoint, SeriesKey

D = Decimal

BASE_GRANT = Grant(
    employee_id="E1",
    grant_number="0001",
    grant_date=date(2000, 7, 3),
    grant_type="NSO",
    plan="2001",
    exercise_price=D("40.00"),
    granted=1000,
    exercised=0,
    cancelled=0,
    expiration_date=date(2010, 7, 3),
    multi_year_grant=False,
)

BASE_EMPLOYEE = Employee(
    employee_id="E1",
    name="Pat Example",
    email="pat@example.com",
    slack_user_id=None,
    country="United States",
    level=62,
    worker_type="employee",
    status="active",
)


def make_grant(**changes: Any) -> Grant:
    return replace(BASE_GRANT, **changes)


def make_employee(**changes: Any) -> Employee:
    return replace(BASE_EMPLOYEE, **changes)


def points(series: SeriesKey, *pairs: tuple[str, str]) -> list[GridPoint]:
    """Grid points of one Series from ("acp", "price") pairs."""
    return [GridPoint(series, D(acp), D(price)) for acp, price in pairs]
