"""The Pricing Grid: price per option by Series and Average Closing Price (Notice Q6, s2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Sequence

from bot.calc.records import GridPoint, SeriesKey


class PricingGrid:
    """Grid points per Series, sorted once; prices by exact linear interpolation in the ACP."""

    def __init__(self, points: Iterable[GridPoint], *, illustrative: bool = False) -> None:
        raise NotImplementedError

    @property
    def illustrative(self) -> bool:
        """True for the built-in model grid: every answer built on it must say so."""
        raise NotImplementedError

    def series(self) -> frozenset[SeriesKey]:
        raise NotImplementedError

    def price(self, series: SeriesKey, acp: Decimal) -> Decimal:
        """Unrounded price per option; raises SeriesMissing or PriceOutOfRange."""
        raise NotImplementedError


def average_closing_price(closes: Sequence[Decimal]) -> Decimal:
    """Arithmetic mean of the closing prices, rounded UP to the next 1/10,000 of a dollar."""
    raise NotImplementedError


def validate_assumed_acp(acp: Decimal) -> Decimal:
    """An assumed ACP for an estimate: 0 < ACP <= $40.00 (the Tool's calculator limit)."""
    raise NotImplementedError
