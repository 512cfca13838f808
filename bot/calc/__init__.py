"""The shared calculation module: every channel's numbers come from here.

Pure, synchronous and typed: no file, database, network or clock access. Money is
Decimal rounded half-up; the only roundings are grant payments and schedule
parts to cents, the Average Closing Price up to 0.0001, and the Contingent
Interest Payment at the end. Where the documents disagree, the Notice's Terms
and Conditions win.
"""

from bot.calc.amended import amended_expiration
from bot.calc.calendar import ProgramCalendar, add_months, latest_averaging_start, program_calendar
from bot.calc.eligibility import (
    EmployeeEligibility,
    GrantEligibility,
    employee_eligibility,
    employee_rule_reasons,
    grant_eligibility,
    is_eligible_option,
)
from bot.calc.errors import (
    CalcError,
    CalendarError,
    InvalidPrice,
    NotEligible,
    PriceOutOfRange,
    ProgramTerminated,
    SeriesMissing,
)
from bot.calc.estimate import TABLE_PRICES, CalcContext, Estimate, GrantPayment, estimate, total_payment
from bot.calc.interest import InterestResult, MonthlyRates, contingent_interest
from bot.calc.money import cents, money_str, parse_price, round_up_4
from bot.calc.pricing import PricingGrid, average_closing_price, validate_assumed_acp
from bot.calc.records import Employee, Grant, GridPoint, SeriesKey, format_price
from bot.calc.schedule import Installment, RateTable, payout_schedule

__all__ = [
    "CalcContext", "CalcError", "CalendarError", "Employee", "EmployeeEligibility", "Estimate",
    "Grant", "GrantEligibility", "GrantPayment", "GridPoint", "Installment", "InterestResult",
    "InvalidPrice", "MonthlyRates", "NotEligible", "PriceOutOfRange", "PricingGrid",
    "ProgramCalendar", "ProgramTerminated", "RateTable", "SeriesKey", "SeriesMissing", "TABLE_PRICES",
    "add_months", "amended_expiration", "average_closing_price", "cents", "contingent_interest",
    "employee_eligibility", "employee_rule_reasons", "estimate", "format_price", "grant_eligibility",
    "is_eligible_option", "latest_averaging_start",
    "money_str", "parse_price", "payout_schedule", "program_calendar", "round_up_4",
    "total_payment", "validate_assumed_acp",
]
