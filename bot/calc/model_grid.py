"""A model Pricing Grid, used only until the negotiated grid is imported.

The grid JPMorgan and Microsoft agreed was never published (Ex. (a)(14): "an
agreed price for each option"). This stand-in prices each Series as a European
call on the AMENDED terms (expiration per bot.calc.amended, time measured from
the last day of the Averaging Period) with Black-Scholes, a dividend of a fixed
amount per share a year (a yield of dividend/ACP), and a volatility that may
vary with moneyness. Parameters come from bot/data/model_grid.toml through the
caller (bot.figures): this module reads nothing.

The model is float arithmetic, as option models are; each quote is then
rounded half-up to 4 decimals as a Decimal, so the grid is a table of quotes
like the real one, and all money arithmetic after it stays Decimal. Every grid
built here is marked illustrative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping

from bot.calc.amended import amended_expiration
from bot.calc.pricing import PricingGrid
from bot.calc.records import GridPoint, SeriesKey

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True, slots=True)
class ModelParameters:
    volatility: float          # annual volatility at the money
    skew: float                # change of volatility per unit of ln(strike / ACP)
    volatility_floor: float    # volatility never below this (keeps far strikes sane)
    risk_free_rate: float      # continuously compounded, annual
    dividend_per_share: float  # dollars a year; yield = dividend / ACP
    acp_from: Decimal          # first grid point (0.00, so small ACPs interpolate)
    acp_to: Decimal            # last grid point (the Tool's $40.00 limit)
    acp_step: Decimal
    decimals: int              # quotes are rounded half-up to this many decimals

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> "ModelParameters":
        """From the [model] and [grid] tables of model_grid.toml."""
        model, grid = raw["model"], raw["grid"]
        params = cls(
            volatility=float(model["volatility"]),
            skew=float(model.get("skew", 0.0)),
            volatility_floor=float(model.get("volatility_floor", 0.05)),
            risk_free_rate=float(model["risk_free_rate"]),
            dividend_per_share=float(model["dividend_per_share"]),
            acp_from=Decimal(str(grid["acp_from"])),
            acp_to=Decimal(str(grid["acp_to"])),
            acp_step=Decimal(str(grid["acp_step"])),
            decimals=int(grid.get("decimals", 4)),
        )
        if params.acp_step <= 0 or params.acp_to <= params.acp_from or params.acp_from < 0:
            raise ValueError("model grid: need 0 <= acp_from < acp_to and acp_step > 0")
        if params.volatility <= 0 or params.volatility_floor <= 0:
            raise ValueError("model grid: volatility must be positive")
        return params

    def acps(self) -> tuple[Decimal, ...]:
        points: list[Decimal] = []
        acp = self.acp_from
        while acp <= self.acp_to:
            points.append(acp)
            acp += self.acp_step
        if points[-1] != self.acp_to:
            points.append(self.acp_to)
        return tuple(points)


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def volatility(strike: float, spot: float, params: ModelParameters) -> float:
    return max(params.volatility_floor, params.volatility + params.skew * math.log(strike / spot))


def option_value(spot: float, strike: float, years: float, params: ModelParameters) -> float:
    """Black-Scholes value of a European call with dividend yield dividend_per_share / spot."""
    if spot <= 0.0:
        return 0.0
    if years <= 0.0:
        return max(spot - strike, 0.0)
    sigma = volatility(strike, spot, params)
    q = params.dividend_per_share / spot
    r = params.risk_free_rate
    root = sigma * math.sqrt(years)
    d1 = (math.log(spot / strike) + (r - q + 0.5 * sigma * sigma) * years) / root
    d2 = d1 - root
    value = spot * math.exp(-q * years) * _norm_cdf(d1) - strike * math.exp(-r * years) * _norm_cdf(d2)
    return max(value, 0.0)


def years_to_amended_expiry(series: SeriesKey, averaging_end: date) -> float:
    """Time the transferred option runs: from E to its amended expiration (Notice s1)."""
    return max((amended_expiration(series, averaging_end) - averaging_end).days, 0) / DAYS_PER_YEAR


def model_grid_points(series: Iterable[SeriesKey], averaging_end: date,
                      params: ModelParameters) -> list[GridPoint]:
    quantum = Decimal(1).scaleb(-params.decimals)
    acps = params.acps()
    points: list[GridPoint] = []
    for key in sorted(set(series), key=lambda s: (s.exercise_price, s.expiration_date, s.multi_year_grant)):
        strike = float(key.exercise_price)
        years = years_to_amended_expiry(key, averaging_end)
        for acp in acps:
            value = option_value(float(acp), strike, years, params)
            quote = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
            points.append(GridPoint(series=key, average_closing_price=acp, price_per_option=quote))
    return points


def model_grid(series: Iterable[SeriesKey], averaging_end: date, params: ModelParameters) -> PricingGrid:
    """An illustrative Pricing Grid for the given Series: never the negotiated one."""
    return PricingGrid(model_grid_points(series, averaging_end, params), illustrative=True)
