"""Decide what an employee wants before anything answers: the intent router.

Personal requests never go to the FAQ matcher (an estimate is not a quote of Q7),
"should I?" never gets an answer that could read as advice, and a request to
elect for someone is never mistaken for a question about how to elect. The
rules are data (handlers/intents.toml); this module only applies them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from bot import countries
from handlers.cleaning import clean_message
from handlers.prices import find_price
from knowledge.text import analyze

Intent = Literal["faq", "estimate", "eligibility", "recommendation", "election", "other"]
INTENTS: tuple[Intent, ...] = ("faq", "estimate", "eligibility", "recommendation", "election", "other")

RULES_FILE = Path(__file__).with_name("intents.toml")

_HANDOFF = re.compile(
    r"\b(talk|speak|chat)\s+(to|with)\s+(a\s+|an\s+|some\s*one|somebody|the\s+)?(real\s+|actual\s+)?"
    r"(person|human|agent|someone|somebody|staff|team|compchng|stock services)\b"
    r"|\b(escalate|human please|real person|live agent|open a ticket|raise a ticket)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Route:
    intent: Intent
    text: str                      # the cleaned message the decision was made on
    rule: str                      # which rule decided, for the audit trail and debugging
    price: Decimal | None          # an assumed Average Closing Price named in the message
    countries: tuple[str, ...]     # countries the message names, first mention first
    handoff: bool                  # the asker explicitly asks for a person
    on_topic: bool                 # uses the program's vocabulary; if not, a weak FAQ match means "other"


@dataclass(frozen=True, slots=True)
class _IntentRules:
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class _Rules:
    order: tuple[Intent, ...]
    intents: dict[str, _IntentRules]
    moves: tuple[re.Pattern[str], ...]
    domain_tokens: frozenset[str]


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    with RULES_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    order = tuple(raw["order"])
    unknown = [name for name in order if name not in INTENTS]
    if unknown:
        raise ValueError(f"{RULES_FILE.name}: unknown intents in order: {unknown}")
    intents = {
        name: _IntentRules(_compile(raw[name].get("patterns", [])), _compile(raw[name].get("unless", [])))
        for name in order
    }
    domain = frozenset(t for word in raw["other"]["domain_words"] for t in analyze(word).tokens)
    return _Rules(order, intents, _compile(raw["eligibility"].get("moves", [])), domain)


def is_on_topic(text: str) -> bool:
    """Whether the message uses any of the program's vocabulary at all."""
    return any(t in _rules().domain_tokens for t in analyze(text).tokens)


def _matches(rules: _IntentRules, text: str) -> str | None:
    if any(p.search(text) for p in rules.unless):
        return None
    for i, pattern in enumerate(rules.patterns):
        if pattern.search(text):
            return f"pattern {i}"
    return None


def route(message: str) -> Route:
    """The intent of one message (chat text or email body)."""
    text = clean_message(message)
    named = tuple(c.name for c in countries.mentioned(text))
    handoff = bool(_HANDOFF.search(text))
    price = find_price(text)

    def decided(intent: Intent, rule: str) -> Route:
        return Route(intent, text, rule, price, named, handoff, on_topic)

    rules = _rules()
    on_topic = is_on_topic(text)
    if not text:
        return decided("other", "empty")
    for intent in rules.order:
        hit = _matches(rules.intents[intent], text)
        if intent == "eligibility" and hit is None and len(named) >= 1:
            if not any(p.search(text) for p in rules.intents[intent].unless) and any(
                    p.search(text) for p in rules.moves):
                hit = "move between countries"
        if intent == "other":
            # Greetings and thanks only when nothing else is asked; frustration
            # wins only over a message that asks nothing answerable.
            if hit is not None and on_topic and "?" in text:
                hit = None
        if hit is not None:
            return decided(intent, f"{intent}: {hit}")
    return decided("faq", "default")
