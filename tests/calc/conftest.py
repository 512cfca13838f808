"""Fixtures shared by the calculation tests."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calc.calendar import ProgramCalendar, program_calendar


@pytest.fixture(scope="session")
def default_calendar() -> ProgramCalendar:
    """The Notice's calendar: deadline 2003-11-12, latest start 2003-11-17, E = 2003-12-09."""
    return program_calendar(date(2003, 11, 12))
