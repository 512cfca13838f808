"""The Pricing Grid: price per option by Series and Average Closing Price (Notice Q6, s2).

Between two grid points of a Series the price is the straight line between them,
computed exactly and NOT rounded (only the grant payment is rounded, to cents).
Outside a Series' points there is no price: no extrapolation, no made-up number.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Iterable, Sequence

from bot.calc.errors import CalcError, InvalidPrice, PriceOutOfRange, SeriesMissing
from bot.calc.money import calc_context, round_up_4
from bot.calc.records import GridPoint, SeriesKey, dollar_price, format_price

MAX_ASSUMED_ACP = Decimal("40.00")   # Q7, s2: the Tool's calculator goes "up to $40 per share"
_CACHE_LIMIT = 64                    # distinct ACPs whose per-Series prices are kept
# A product of at most this many digits is exact in CALC_CONTEXT (50), and so is a sum of
# fewer than a billion of them: integer cents are then exactly what Decimal computes.
_EXACT_DIGITS = 40

Terms = tuple[Decimal, date, bool]   # a Series' (exercise price, expiration date, Multi-Year Grant)


@dataclass(frozen=True, slots=True)
class CentsRow:
    """A Series' prices at several ACPs as integers, for grant payments in integer cents.

    prices[i] == scaled[i] / 10**k exactly, with divisor == 10**(k - 2) and k >= 2, so
    options x prices[i] rounded half-up to cents is (scaled[i] * options + half) // divisor
    for 0 <= options < options_limit: the same cents as Decimal's product and quantize,
    without a Decimal operation (the $23-$31 table is nine of them per grant).
    """

    scaled: tuple[int, ...]
    divisor: int
    half: int
    options_limit: int

    @classmethod
    def of(cls, prices: Sequence[Decimal]) -> "CentsRow":
        ratios = [price.as_integer_ratio() for price in prices]
        # A finite Decimal's denominator is 2**a * 5**b: 10**k is the smallest power of ten it divides.
        k = 2
        while any(10 ** k % den for _, den in ratios):
            k += 1
        scale = 10 ** k
        scaled = tuple(num * (scale // den) for num, den in ratios)
        # Decimal multiplies the coefficient (1.5000000 has eight digits where scaled has three).
        digits = max((max(len(str(m)), len(price.as_tuple().digits)) for m, price in zip(scaled, prices)),
                     default=0)
        divisor = 10 ** (k - 2)
        return cls(scaled, divisor, divisor // 2, 10 ** max(0, _EXACT_DIGITS - digits))

    def add_cents(self, totals: Sequence[int] | None, options: int) -> list[int] | None:
        """totals (None: all zero) plus options x each price half-up to whole cents; None where integers
        might not be exact."""
        if not 0 <= options < self.options_limit:
            return None
        divisor, half = self.divisor, self.half
        if totals is None:   # a person's first holding: nothing to add to
            return [(m * options + half) // divisor for m in self.scaled]
        return [t + (m * options + half) // divisor for t, m in zip(totals, self.scaled)]


class _Curve:
    """One Series: sorted ACPs and their prices."""

    __slots__ = ("acps", "prices")

    def __init__(self, acps: list[Decimal], prices: list[Decimal]) -> None:
        self.acps = acps
        self.prices = prices

    def at(self, acp: Decimal) -> Decimal | None:
        """Exact linear interpolation; None outside the points. Call inside calc_context()."""
        acps = self.acps
        i = bisect_left(acps, acp)
        if i == len(acps):
            return None
        a1 = acps[i]
        if a1 == acp:
            return self.prices[i]
        if i == 0:
            return None
        a0, p0, p1 = acps[i - 1], self.prices[i - 1], self.prices[i]
        return p0 + (p1 - p0) * (acp - a0) / (a1 - a0)


class PricingGrid:
    """Grid points per Series, sorted once; prices by exact linear interpolation in the ACP."""

    def __init__(self, points: Iterable[GridPoint], *, illustrative: bool = False) -> None:
        by_series: dict[SeriesKey, dict[Decimal, Decimal]] = {}
        for point in points:
            if point.price_per_option < 0:
                raise CalcError(f"grid price {point.price_per_option} is negative for {point.series.describe()} "
                                f"at ${format_price(point.average_closing_price)}")
            curve = by_series.setdefault(point.series, {})
            known = curve.get(point.average_closing_price)
            if known is not None and known != point.price_per_option:
                raise CalcError(f"the grid gives two prices ({known} and {point.price_per_option}) for "
                                f"{point.series.describe()} at ${format_price(point.average_closing_price)}")
            curve[point.average_closing_price] = point.price_per_option
        self._curves: dict[SeriesKey, _Curve] = {}
        for series, curve in by_series.items():
            acps = sorted(curve)
            self._curves[series] = _Curve(acps, [curve[a] for a in acps])
        self._illustrative = illustrative
        self._at_acp: dict[Decimal, dict[SeriesKey, Decimal | None]] = {}
        self._at_acps: dict[tuple[Decimal, ...], dict[SeriesKey, tuple[Decimal, ...]]] = {}
        self._cents: dict[tuple[Decimal, ...], dict[SeriesKey, CentsRow]] = {}
        self._cents_some: dict[tuple[Decimal, ...], dict[SeriesKey, CentsRow | None]] = {}
        self._by_terms: dict[tuple[Decimal, tuple[Decimal, ...]],
                             dict[Terms, tuple[Decimal | None, CentsRow | None]]] = {}

    @property
    def illustrative(self) -> bool:
        """True for the built-in model grid: every answer built on it must say so."""
        return self._illustrative

    def series(self) -> frozenset[SeriesKey]:
        return frozenset(self._curves)

    def __len__(self) -> int:
        return len(self._curves)

    def span(self, series: SeriesKey) -> tuple[Decimal, Decimal]:
        """Lowest and highest ACP of a Series' points; raises SeriesMissing."""
        curve = self._curves.get(series)
        if curve is None:
            raise SeriesMissing(series)
        return curve.acps[0], curve.acps[-1]

    def breakpoints(self, series: SeriesKey) -> tuple[Decimal, ...]:
        """The ACPs of a Series' points, lowest first: between two of them its price is a straight line.

        Raises SeriesMissing.
        """
        curve = self._curves.get(series)
        if curve is None:
            raise SeriesMissing(series)
        return tuple(curve.acps)

    def points(self, series: SeriesKey) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
        """A Series' grid ACPs (ascending) and their prices: the breakpoints of its straight lines.

        For bot.calc.whatif, which solves on the segments between them; raises SeriesMissing.
        """
        curve = self._curves.get(series)
        if curve is None:
            raise SeriesMissing(series)
        return tuple(curve.acps), tuple(curve.prices)

    def price(self, series: SeriesKey, acp: Decimal) -> Decimal:
        """Unrounded price per option; raises SeriesMissing or PriceOutOfRange."""
        curve = self._curves.get(series)
        if curve is None:
            raise SeriesMissing(series)
        with calc_context():
            value = curve.at(acp)
        if value is None:
            raise PriceOutOfRange(series, acp, curve.acps[0], curve.acps[-1])
        return value

    def prices_at(self, acp: Decimal) -> dict[SeriesKey, Decimal | None]:
        """Every Series' price at one ACP (None where out of range), computed once per ACP.

        The fast path of population totals: one interpolation per Series instead of
        one per grant. Kept for the last few distinct ACPs only.
        """
        table = self._at_acp.get(acp)
        if table is None:
            with calc_context():
                table = {series: curve.at(acp) for series, curve in self._curves.items()}
            if len(self._at_acp) >= _CACHE_LIMIT:
                self._at_acp.clear()
            self._at_acp[acp] = table
        return table

    def prices_at_each(self, acps: tuple[Decimal, ...]) -> dict[SeriesKey, tuple[Decimal, ...]]:
        """The prices of each Series at several ACPs, one tuple per Series in the order of acps.

        The one-pass $23-$31 table: one look-up per grant instead of one per grant and
        price. Only Series priced at every one of the ACPs are in it; for the others
        prices_at() says where the price is missing. Kept for the last few tuples of ACPs.
        """
        table = self._at_acps.get(acps)
        if table is None:
            columns = [self.prices_at(acp) for acp in acps]
            table = {}
            for series in self._curves:
                row = tuple(column[series] for column in columns)
                if all(price is not None for price in row):
                    table[series] = row
            if len(self._at_acps) >= _CACHE_LIMIT:
                self._at_acps.clear()
            self._at_acps[acps] = table
        return table

    def cents_rows(self, acps: tuple[Decimal, ...]) -> dict[SeriesKey, CentsRow]:
        """prices_at_each(acps) as integers (CentsRow), for a table of totals in integer cents."""
        rows = self._cents.get(acps)
        if rows is None:
            rows = {series: CentsRow.of(row) for series, row in self.prices_at_each(acps).items()}
            if len(self._cents) >= _CACHE_LIMIT:
                self._cents.clear()
            self._cents[acps] = rows
        return rows

    def cents_rows_for(self, acps: tuple[Decimal, ...], series: Iterable[SeriesKey]) -> dict[SeriesKey, CentsRow]:
        """cents_rows(acps), for the given Series only.

        A chart's ACPs are its holder's own (their Series' breakpoints, the bends of their curve), so
        nearly every chart asks for a new tuple of them: working out every Series of the grid at
        each, as cents_rows() does, was some 60% of the CPU of drawing a chart. The same rows: each
        Series priced by the same interpolation as prices_at(), at each of acps, made a CentsRow.
        """
        known = self._cents_some.get(acps)
        if known is None:
            if len(self._cents_some) >= _CACHE_LIMIT:
                self._cents_some.clear()
            known = self._cents_some[acps] = {}
        out: dict[SeriesKey, CentsRow] = {}
        for key in series:
            if key not in known:
                known[key] = self._cents_row(key, acps)
            row = known[key]
            if row is not None:
                out[key] = row
        return out

    def _cents_row(self, series: SeriesKey, acps: tuple[Decimal, ...]) -> CentsRow | None:
        """One Series' CentsRow at acps; None where it is missing or unpriced at one of them."""
        curve = self._curves.get(series)
        if curve is None:
            return None
        with calc_context():
            prices = [curve.at(acp) for acp in acps]
        if any(price is None for price in prices):
            return None
        return CentsRow.of(prices)    # type: ignore[arg-type]  (no None left)

    def by_terms(self, acp: Decimal, acps: tuple[Decimal, ...]) -> dict[Terms, tuple[Decimal | None, CentsRow | None]]:
        """Each Series' price at acp and its CentsRow at acps, keyed by the plain tuple of its terms.

        An estimate's one look-up per grant: a tuple of the grant's own fields hashes and
        compares in C, where building a SeriesKey to look up cost more than the look-up.
        """
        key = (acp, acps)
        table = self._by_terms.get(key)
        if table is None:
            prices, rows = self.prices_at(acp), self.cents_rows(acps)
            table = {(s.exercise_price, s.expiration_date, s.multi_year_grant): (price, rows.get(s))
                     for s, price in prices.items()}
            if len(self._by_terms) >= _CACHE_LIMIT:
                self._by_terms.clear()
            self._by_terms[key] = table
        return table


def average_closing_price(closes: Sequence[Decimal]) -> Decimal:
    """Arithmetic mean of the closing prices, rounded UP to the next 1/10,000 of a dollar (Q6).

    The division itself rounds toward +infinity, so an exact mean that is already a
    multiple of 0.0001 stays put and any other mean goes up: no double rounding.
    """
    if not closes:
        raise CalcError("no closing prices: the Average Closing Price needs at least one Available Trading Day")
    for close in closes:
        if not close.is_finite() or close <= 0:
            raise CalcError(f"closing price {close} is not a positive price")
    with calc_context() as ctx:
        ctx.rounding = ROUND_CEILING
        mean = sum(closes, Decimal(0)) / len(closes)
    return round_up_4(mean)


def validate_assumed_acp(acp: Decimal) -> Decimal:
    """An assumed ACP for an estimate: 0 < ACP <= $40.00 (the Tool's calculator limit).

    An ACP is stated to 1/10,000 of a dollar (Q6), so more decimals than four are refused
    rather than silently rounded.
    """
    if not isinstance(acp, Decimal) or not acp.is_finite():
        raise InvalidPrice(f"{acp!r} is not a price: give a number of dollars such as 27.50", acp)
    if acp <= 0:
        raise InvalidPrice(f"an Average Closing Price of {dollar_price(acp)} is not possible: "
                           "it must be more than $0.00", acp)
    if acp > MAX_ASSUMED_ACP:
        raise InvalidPrice(f"an assumed Average Closing Price of ${format_price(acp)} is above $40.00, "
                           "the highest price the Employee Election Tool's calculator models", acp)
    if acp.as_tuple().exponent < -4:  # type: ignore[operator]
        raise InvalidPrice(f"an Average Closing Price is stated to 1/10,000 of a dollar; "
                           f"{acp} has more decimals", acp)
    return acp
