"""Properties that hold for every input (hypothesis): the schedule, the Total Payment and its table."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import countries
from bot.calc.calendar import program_calendar
from bot.calc.eligibility import is_eligible_option
from bot.calc.errors import CalcError
from bot.calc.estimate import TABLE_PRICES, payment_table, total_payment
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


@st.composite
def employee_on_a_grid(draw):
    """Grants of one employee on a grid whose Series are priced at some or all of $23-$31.

    Grid points fall on whole dollars and on odd cents, so prices between them are long (or
    endless) decimals; prices of a half cent (0.125) make payments that end in exactly half
    a cent; several grants can share a Series; some grants are not Eligible Options.
    """
    acp = st.one_of(st.integers(min_value=1500, max_value=4000), st.integers(min_value=15, max_value=40).map(lambda d: d * 100))
    price = st.one_of(
        st.tuples(st.integers(min_value=0, max_value=10**7), st.integers(min_value=2, max_value=6)).map(
            lambda p: D(p[0]) / 10**p[1]),
        st.integers(min_value=0, max_value=4000).map(lambda n: D(10 * n + 5) / 1000))
    acp_cents = sorted(set(draw(st.lists(acp, min_size=2, max_size=6))))
    keys: list[SeriesKey] = []
    pts: list[GridPoint] = []
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        key = SeriesKey(D(33 + n) + D(draw(st.integers(min_value=0, max_value=99))) / 100,
                        date(2010, 7, 3), draw(st.booleans()))
        keys.append(key)
        for cents in acp_cents:
            pts.append(GridPoint(key, D(cents) / 100, draw(price)))
    grants = []
    for i in range(draw(st.integers(min_value=1, max_value=8))):
        key = draw(st.sampled_from(keys))
        granted = draw(st.integers(min_value=1, max_value=3_000_000))
        grants.append(make_grant(
            grant_number=f"{i:04d}", exercise_price=key.exercise_price, multi_year_grant=key.multi_year_grant,
            granted=granted, exercised=draw(st.integers(min_value=0, max_value=granted)),
            plan=draw(st.sampled_from(["1991", "2001", "visio", "sar1997", "navision"]))))
    return PricingGrid(pts), grants


def _per_price(grants, grid):
    """The table as nine separate sums, or the error the first failing sum raises."""
    try:
        return tuple((price, total_payment(grants, price, grid)) for price in TABLE_PRICES)
    except CalcError as exc:
        return type(exc), str(exc)


def _one_pass(grants, grid):
    holdings = [(g.series, g.outstanding) for g in grants if is_eligible_option(g)]
    try:
        return payment_table(holdings, TABLE_PRICES, grid)
    except CalcError as exc:
        return type(exc), str(exc)


@settings(max_examples=400)
@given(case=employee_on_a_grid())
def test_the_one_pass_table_equals_the_total_payment_at_each_of_the_nine_prices(case):
    grid, grants = case
    one_pass, per_price = _one_pass(grants, grid), _per_price(grants, grid)
    assert one_pass == per_price
    if isinstance(per_price[0], tuple):   # the same cents, written alike: 0.00, never 0 or 0E-10
        assert [t.as_tuple() for _, t in one_pass] == [t.as_tuple() for _, t in per_price]


def _estimate_or_error(grants, grid, acp):
    from bot.calc.estimate import CalcContext, estimate
    from calc_builders import make_employee

    ctx = CalcContext(grid=grid, calendar=CALENDAR, rates=RateTable({}), rulings={}, assumed_interest_rate=D("0.01"))
    try:
        return estimate(make_employee(), grants, acp, ctx)
    except CalcError as exc:
        return type(exc), str(exc)


@settings(max_examples=400)
@given(case=employee_on_a_grid(), acp=st.sampled_from([D("23.00"), D("27.00"), D("27.5"), D("31.00")]))
def test_an_estimates_own_table_is_its_total_payment_at_each_of_the_nine_prices(case, acp):
    """estimate() computes the table in its own pass over the grants: the same as nine estimates."""
    grid, grants = case
    found = _estimate_or_error(grants, grid, acp)
    per_price = _per_price([g for g in grants if is_eligible_option(g)], grid)
    if not isinstance(per_price[0], tuple):   # a Series unpriced at a table price: no estimate
        assert isinstance(found, tuple) and issubclass(found[0], CalcError)
        return
    if isinstance(found, tuple):   # no estimate at acp (not eligible, price out of range)
        return
    assert found.table == per_price
    assert [t.as_tuple() for _, t in found.table] == [t.as_tuple() for _, t in per_price]
    for price, total in found.table:
        again = _estimate_or_error(grants, grid, price)
        assert not isinstance(again, tuple) and again.total_payment == total
