"""Expiration dates of Eligible Options after transfer to JPMorgan (Notice s1, Q9, Q24)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.calc.calendar import add_months, expiry_extension_days
from bot.calc.records import SeriesKey

CAP_MONTHS = 36                 # s1: "36 months from the last day of the Averaging Period"
MULTI_YEAR_GRANT_MONTHS = 24    # s1: "The Multi-Year Grant Options will expire 24 months from ..."


def amended_expiration(series: SeriesKey, averaging_end: date) -> date:
    """Non-Multi-Year Grant: earlier of (existing + extension days) and E + 36 months; MYG: E + 24 months.

    Month arithmetic clamps the day to the month's end. Q24 summarizes the terms as
    "no more than 36 months (24 months for Multi-Year Grant Options)"; where the
    documents disagree, the Notice's Terms and Conditions win, and s1 says the
    Multi-Year Grant Options "will expire 24 months from the last day of the
    Averaging Period", with no comparison to their existing expiration.
    """
    if series.multi_year_grant:
        return add_months(averaging_end, MULTI_YEAR_GRANT_MONTHS)
    extended = series.expiration_date + timedelta(days=expiry_extension_days(averaging_end))
    return min(extended, add_months(averaging_end, CAP_MONTHS))
