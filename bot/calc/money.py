"""Decimal money: the program's only roundings, and parsing of prices people type.

Money is rounded half-up to cents (never banker's rounding); an Average Closing
Price is rounded UP to 1/10,000 of a dollar (Notice Q6, s2). Intermediate
arithmetic runs in CALC_CONTEXT: enough digits that no intermediate rounding can
move a cent, and half-up if it ever rounds at all.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import ContextManager

from bot.calc.errors import InvalidPrice

CENT = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")

# One context for all calculations: 50 significant digits, half-up, and errors
# instead of silent NaN/Infinity.
CALC_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])


def calc_context() -> ContextManager[Context]:
    """`with calc_context():` around a calculation (set once per call, not per operation)."""
    return localcontext(CALC_CONTEXT)


def cents(x: Decimal) -> Decimal:
    """Half-up to 0.01: grant payments, schedule parts, the Contingent Interest Payment."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def round_up_4(x: Decimal) -> Decimal:
    """Up (toward +infinity) to 0.0001: the Average Closing Price."""
    return x.quantize(TEN_THOUSANDTH, rounding=ROUND_CEILING)


def money_str(x: Decimal) -> str:
    """Exactly two decimals, no exponent, no thousands separator: "12345.67"."""
    return f"{cents(x):f}"


def parse_price(text: str) -> Decimal:
    """A price as a person types it: "$27.50", "27.5", "27", " $ 27 ". Range is checked elsewhere."""
    if not isinstance(text, str):
        raise InvalidPrice(f"a price must be given as text, got {text!r}", text)
    cleaned = text.strip()
    if cleaned.startswith("$"):
        cleaned = cleaned[1:].strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidPrice(f"{text.strip()!r} is not a price: give a number of dollars such as 27.50", text) from None
    if not value.is_finite():
        raise InvalidPrice(f"{text.strip()!r} is not a price: give a number of dollars such as 27.50", text)
    return value
