"""Properties that hold for every input (hypothesis): the schedule and the Total Payment."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import countries
from bot.calc.calendar import program_calendar
from bot.calc.estimate import total_payment
from bot.calc.pricing import PricingGrid
from bot.calc.records import GridPoint, SeriesKey
from bot.calc.schedule import RateTable, payout_schedule
from calc_builders import make_grant

CALENDAR = program_calendar(date(2003, 11, 12))
ELIGIBLE_COUNTRIES = [c for c in countries.all_countries() if not c.excluded]
GENERAL_COUNTRIES = [c for c in ELIGIBLE_COUNTRIES if c.payment_group == "general"]
SPECIAL_COUNTRIES = [c for c in ELIGIBLE_COUNTRIES if c.payment_group in ("tax_rate", "ruling", "immediate")]

totals = st.integers(min_value=0, max_value=10**11).map(lambda n: D(n) / 100)          # $0.00 .. $1 billion
levels = st.integers(min_value=54, max_value=80)
rulings = st.sampled_from(["pending", "favorable", "unfavorable"])
rates = st.decimals(min_value=0, max_value=D("0.99"), places=4)
any_country = st.one_of(st.sampled_from(SPECIAL_COUNTRIES), st.sampled_from(GENERAL_COUNTRIES))


@settings(max_examples=400)
@given(total=totals, country=any_country, level=levels, ruling=rulings, rate=rates)
def test_schedule_parts_add_up_exactly_and_are_never_negative(total, country, level, ruling, rate):
    table = RateTable({c.name: rate for c in ELIGIBLE_COUNTRIES})
    parts, _ = payout_schedule(total, country, level, CALENDAR, table, ruling)
    assert sum(p.amount for p in parts) == total
    assert all(p.amount >= 0 for p in parts)
    assert all(p.amount == p.amount.quantize(D("0.01")) for p in parts)
    assert parts[0].kind == "initial"


@settings(max_examples=300)
@given(total=totals, country=st.sampled_from(GENERAL_COUNTRIES), level=levels)
def test_general_initial_payment_is_never_less_than_total_or_twenty_thousand(total, country, level):
    parts, _ = payout_schedule(total, country, level, CALENDAR, RateTable({}), "pending")
    assert parts[0].amount >= min(total, D("20000.00"))


@st.composite
def monotone_grid_and_grants(draw):
    """A grid whose prices never fall as the ACP rises, grants on its Series, and two ACPs a <= b."""
    acps = sorted(set(draw(st.lists(st.integers(min_value=1000, max_value=4000), min_size=2, max_size=8))))
    acps = [D(a) / 100 for a in acps]
    pts: list[GridPoint] = []
    series_keys = []
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        key = SeriesKey(D(33 + n), date(2010, 7, 3), draw(st.booleans()))
        if key in series_keys:
            continue
        series_keys.append(key)
        price = D(0)
        for acp in acps:
            price += D(draw(st.integers(min_value=0, max_value=5000))) / 10000
            pts.append(GridPoint(key, acp, price))
    grants = [make_grant(grant_number=str(i), exercise_price=key.exercise_price, multi_year_grant=key.multi_year_grant,
                         granted=draw(st.integers(min_value=1, max_value=2_000_000)))
              for i, key in enumerate(draw(st.lists(st.sampled_from(series_keys), min_size=1, max_size=6)))]
    low, high = sorted(draw(st.lists(st.integers(min_value=int(acps[0] * 100), max_value=int(acps[-1] * 100)),
                                     min_size=2, max_size=2)))
    return PricingGrid(pts), grants, D(low) / 100, D(high) / 100


@settings(max_examples=300)
@given(case=monotone_grid_and_grants())
def test_total_payment_never_decreases_as_the_acp_rises(case):
    grid, grants, low, high = case
    assert total_payment(grants, low, grid) <= total_payment(grants, high, grid)
