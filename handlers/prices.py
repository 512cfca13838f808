"""Find the assumed Average Closing Price in a message ("at $26", "26.5", "26 bucks").

Messages are full of other numbers (years, levels, dates, $20,000, strikes), so a
number counts as a price only with a cue that says so, or as the lone plain number.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(
    r"(?<![\w.,/])(?P<dollar>(?:us)?\$\s?)?(?P<value>\d{1,3}(?:\.\d{1,4})?)(?![\w%/]|\.\d|,\d)"
    r"(?P<unit>\s*(?:bucks|dollars|usd|a share|per share|/share))?",
    re.IGNORECASE,
)
# Words just before a number that make it the assumed price.
_BEFORE_PRICE = re.compile(
    r"(?:\bat|@|\bacp(?: is| of| =)?|\bprice(?: is| of)?|\bavg(?: is)?|\baverage(?: is)?|\bclose(?:s)?(?: at)?|"
    r"\bends? up(?: at)?|\bsits?(?: around| at)?|\bhits?|\bdrops? to|\bdrifts?(?: down)? to|\bfalls? to|"
    r"\bgoes (?:up |down )?to|\brises? to|\bstays? (?:at|around)|\baround|\bto|\bis|\bof|\bif)\s*$",
    re.IGNORECASE,
)
# Words just before or after a number that make it something else.
_BEFORE_OTHER = re.compile(
    r"(?:\blevel|\blvl|\bl|\bnov|\bdec|\boct|\bjan|\bfeb|\bmarch|\bapril|\bmay|\bjune|\bjuly|\baug|\bsept?|"
    r"\bnovember|\bdecember|\boctober|\bjanuary|\bfebruary|\bq|\bsection|\bstep|\bthe|\bi'?m a|\bam a|\bwas a|"
    r"\bmy|\bsince|\bin|\bon|\bby|\bfrom|\bfor|\bhave|\bhas|\bwith|\bgrants? (?:at|of)|\bstrikes? (?:at|of)|"
    r"\bexercise price (?:of|at)|\bgrant price (?:of|at))\s*$",
    re.IGNORECASE,
)
_AFTER_OTHER = re.compile(
    r"^\s*(?:days?|trading days?|%|percent|k\b|th\b|st\b|nd\b|rd\b|years?|yrs?|months?|options?|shares?|grants?|"
    r"hrs?|hours?|weeks?|strikes?|employees?|people|am\b|pm\b|million|billion|m\b|b\b)",
    re.IGNORECASE,
)

MAX_PLAUSIBLE = Decimal("100")


def find_price(text: str) -> Decimal | None:
    """The assumed Average Closing Price the message names, or None.

    Values above the Tool's $40.00 limit are returned too (when clearly a price), so
    the caller can say why it cannot estimate there rather than ignore the number.
    """
    best: tuple[int, int, Decimal] | None = None
    plain: list[Decimal] = []
    for m in _NUMBER.finditer(text):
        try:
            value = Decimal(m.group("value"))
        except InvalidOperation:
            continue
        if value <= 0 or value >= MAX_PLAUSIBLE:
            continue
        before = text[max(0, m.start() - 24):m.start()]
        after = text[m.end():m.end() + 16]
        if _AFTER_OTHER.match(after):
            continue
        score = 0
        if m.group("dollar") or m.group("unit"):
            score += 3
        if _BEFORE_PRICE.search(before):
            score += 2
        # "for 28.5": cents make a price even after a word that usually introduces something else.
        if _BEFORE_OTHER.search(before) and not m.group("dollar") and "." not in m.group("value"):
            score -= 3
        if "." in m.group("value"):
            score += 1
        if score <= 0:
            if score == 0:
                plain.append(value)
            continue
        candidate = (score, m.start(), value)
        if best is None or candidate[0] > best[0]:
            best = candidate
    if best is not None:
        return best[2]
    in_range = [v for v in plain if v <= Decimal("40")]
    return in_range[0] if len(in_range) == 1 else None
