"""The inverse questions (estimate/whatif): which Average Closing Price gets my Total Payment to X, and
how much does each dollar of the average change it.

The classifier decides that a message is one (handlers/examples/estimate.toml [whatif]);
this module reads the amount out of it ("$20k", "20,000", "fifty thousand", "pass
$50,000" = $50,000.01), gets the figures from bot.figures (the same solve as `sotp
whatif`) and lays out the private reply with the estimate caveats. Around $20,000 under
the general schedule it quotes the Notice's Q11 rows for $20,000 or less and $20,000.01
or more, and says on which side of the line each price falls.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Sequence

from bot import countries, figures
from bot.calc.estimate import ILLUSTRATIVE_NOTE, PRE_TAX_NOTE, TABLE_PRICES, US_DOLLARS_NOTE
from bot.calc.records import Employee, format_price
from bot.calc.schedule import ALL_UPFRONT_LIMIT, TWO_CONTINGENT_LEVEL
from bot.calc.whatif import BreakEven, Slope, validate_amount
from bot.config import Settings
from bot.db import Database
from bot.formatting import dollars
from handlers.assistant import Templates, blockquote
from handlers.reply import Reply
from handlers.understanding import RULES_FILE

CENT = Decimal("0.01")
TICK = Decimal("0.0001")
BOUNDARY = ALL_UPFRONT_LIMIT + CENT            # $20,000.01: the first Total Payment that is split (Q11)
NEAR_BOUNDARY = Decimal("1000")                # amounts this close to $20,000 get the Q11 line stated
SLOPE_PRICE = TABLE_PRICES[len(TABLE_PRICES) // 2]   # $27.00, when a slope question names no price

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "a", "and"], key=len, reverse=True))
_WORD_AMOUNT = re.compile(rf"\b((?:(?:{_NUMBER_WORD})[\s-]+){{0,4}}(?:{_NUMBER_WORD}))[\s-]+(thousand|grand)\b",
                          re.IGNORECASE)
_DIGIT_AMOUNT = re.compile(
    r"(?<![\w.,-])(?P<dollar>(?:us)?\$\s?)?(?P<value>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?(?![\d.,]\d)"
    r"(?:\s*(?P<unit>k\b|grand\b|thousand\b|m\b|million\b))?",
    re.IGNORECASE)
_MULTIPLIER = {"k": 1000, "grand": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}
_SMALLEST = Decimal("1000")       # without "k"/"thousand", a smaller number is a price or a level, not a total
_YEARS = range(1990, 2011)        # "in December 2003" is a date


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal        # what to solve for (already +$0.01 when the message says "more than")
    asked: Decimal        # the number as the message gives it
    strict: bool


@dataclass(frozen=True)
class _Cues:
    strict: re.Pattern[str]
    slope: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def _cues() -> _Cues:
    with RULES_FILE.open("rb") as fh:
        raw = tomllib.load(fh)["whatif"]
    return _Cues(re.compile(raw["strict"], re.IGNORECASE), tuple(re.compile(p, re.IGNORECASE) for p in raw["slope"]))


def _words_value(words: str) -> int | None:
    total, any_number = 0, False
    for word in re.split(r"[\s-]+", words.lower()):
        if word in _UNITS:
            total, any_number = total + _UNITS[word], True
        elif word in _TENS:
            total, any_number = total + _TENS[word], True
        elif word == "hundred":
            total, any_number = max(total, 1) * 100, True
        elif word == "a":
            total += 0 if any_number else 1
    return total or None


def find_amount(text: str) -> Amount | None:
    """The Total Payment a message asks about, or None. "More than X" means X + $0.01."""
    found: list[tuple[int, Decimal]] = []
    for m in _DIGIT_AMOUNT.finditer(text):
        whole = int(m["value"].replace(",", ""))
        value = Decimal(m["value"].replace(",", "") + (f".{m['cents']}" if m["cents"] else ""))
        unit = (m["unit"] or "").lower()
        if unit:
            value *= _MULTIPLIER[unit]
        elif value < _SMALLEST or (whole in _YEARS and not m["dollar"] and "," not in m["value"] and not m["cents"]):
            continue
        found.append((m.start(), value))
    for m in _WORD_AMOUNT.finditer(text):
        number = _words_value(m[1])
        if number:
            found.append((m.start(), Decimal(number * 1000)))
    if not found:
        return None
    start, asked = min(found)
    strict = bool(_cues().strict.search(text[max(0, start - 30):start]))
    value = asked + CENT if strict and asked == asked.quantize(CENT) else asked
    try:
        return Amount(validate_amount(value.quantize(CENT) if value == value.quantize(CENT) else value), asked, strict)
    except ValueError:
        return None


def asks_slope(text: str) -> bool:
    return any(p.search(text) for p in _cues().slope)


def is_plain_estimate(text: str, price: Decimal | None) -> bool:
    """A price and no amount or per-dollar question ("my total at an acp of 26?"): an estimate at that price."""
    return price is not None and find_amount(text) is None and not asks_slope(text)


def _p(price: Decimal) -> str:
    return f"${format_price(price)}"


def _p4(price: Decimal) -> str:
    return f"${price:.4f}"


def _bullets(lead: str, items: Sequence[str]) -> str:
    return "\n".join([lead, *(f"- {item}" for item in items)])


def _answer(t: Templates, r: BreakEven) -> str:
    if r.reason == "reached":
        assert r.price is not None and r.total_at_price is not None and r.total_below is not None
        return t.text("whatif.reached", amount=dollars(r.amount), price=_p4(r.price), at=dollars(r.total_at_price),
                      below_price=_p4(r.price - TICK), below=dollars(r.total_below))
    if r.reason == "already_reached":
        key = "whatif.already_every" if r.non_decreasing else "whatif.already"
        return t.text(key, amount=dollars(r.amount), low=_p(r.low), high=_p(r.high), at=dollars(r.total_at_low))
    return t.text("whatif.not_reached", amount=dollars(r.amount), high=_p(r.high), at_high=dollars(r.total_at_high))


def _boundary(t: Templates, employee: Employee, r: BreakEven) -> list[str]:
    """The Notice's Q11 rows for the line between $20,000.00 and $20,000.01, and where it falls for this person."""
    key = "quotes_boundary_68" if employee.level >= TWO_CONTINGENT_LEVEL else "quotes_boundary"
    parts = [t.text("whatif.boundary_lead"), *(blockquote(text) for _, text in t.quoted("whatif", key))]
    if r.reason == "reached":
        assert r.price is not None and r.total_at_price is not None and r.total_below is not None
        parts.append(t.text("whatif.boundary_reached", price=_p4(r.price), below_price=_p4(r.price - TICK),
                            below=dollars(r.total_below), at=dollars(r.total_at_price)))
    elif r.reason == "already_reached":
        parts.append(t.text("whatif.boundary_already", low=_p(r.low), at=dollars(r.total_at_low)))
    else:
        parts.append(t.text("whatif.boundary_not_reached", high=_p(r.high), at_high=dollars(r.total_at_high)))
    return parts


def _slope_line(t: Templates, s: Slope) -> str:
    side = {"inside": "", "above": t.text("whatif.slope_above"), "below": t.text("whatif.slope_below")}[s.side]
    return t.text("whatif.slope", price=_p(s.at), slope=dollars(s.per_dollar), start=_p(s.segment[0]),
                  end=_p(s.segment[1]), side=side)


def general_schedule(employee: Employee) -> bool:
    country = countries.resolve(employee.country)
    return country is not None and country.payment_group == "general"


def reply(t: Templates, db: Database, settings: Settings, employee: Employee, text: str,
          price: Decimal | None) -> Reply:
    """The private answer to an inverse question; raises bot.calc's errors (NotEligible, CalcError) for the core."""
    sections = tuple(t.raw["whatif"]["sections"])
    amount = find_amount(text)
    wants_slope = asks_slope(text)
    if amount is None and not wants_slope:
        return Reply("estimate", (t.text("whatif.ask_amount"),), sections, privacy="private", sub_intent="whatif")
    ctx = figures.context(db, settings)
    parts: list[str] = []
    illustrative = ctx.grid.illustrative
    result: BreakEven | None = None
    if amount is not None:
        result = figures.break_even_for(db, settings, employee.employee_id, amount.value, ctx)
        parts.append(_answer(t, result))
    if wants_slope:
        at = price if price is not None else SLOPE_PRICE
        s = figures.slope_for(db, settings, employee.employee_id, at, ctx)
        parts.append(_slope_line(t, s))
        if price is None:
            parts.append(t.text("whatif.slope_default"))
    if result is not None:
        if abs(amount.value - BOUNDARY) <= NEAR_BOUNDARY and general_schedule(employee):   # type: ignore[union-attr]
            boundary = result if result.amount == BOUNDARY else figures.break_even_for(
                db, settings, employee.employee_id, BOUNDARY, ctx)
            parts.extend(_boundary(t, employee, boundary))
            sections = (*t.raw["whatif"]["boundary_sections"], *sections)
        parts.append(t.text("whatif.range", low=_p(result.low), high=_p(result.high)))
    caveats = [PRE_TAX_NOTE, US_DOLLARS_NOTE, t.text("estimate.table_caveat")]
    if illustrative:
        caveats.append(ILLUSTRATIVE_NOTE)
    parts.append(_bullets(t.text("estimate.notes"), caveats))
    if result is not None and result.price is not None:
        parts.append(t.text("whatif.followup", price=_p4(result.price)))
    return Reply("estimate", tuple(parts), sections, privacy="private", sub_intent="whatif")
